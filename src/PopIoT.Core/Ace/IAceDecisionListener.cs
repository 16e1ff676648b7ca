namespace PopIoT.Core.Ace;

/// <summary>
/// Receives every security decision of an <see cref="AceResourceServer"/>, e.g. to log it on one line
/// (<see cref="AceDecision.ToString"/>). Called synchronously from the request path with a reused
/// <see cref="AceDecision"/>: copy what you need, do not keep the object.
/// </summary>
public interface IAceDecisionListener
{
    /// <summary>One decision was taken.</summary>
    /// <param name="decision">What was decided and why (valid only during the call).</param>
    void OnDecision(AceDecision decision);
}
