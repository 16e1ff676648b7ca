namespace PopIoT.AuthorizationServer.Ace;

/// <summary>Who sent a request, as proved by the OSCORE context that verified it (RFC 9203 §5).</summary>
/// <param name="IsResourceServer">True for a resource server (introspection), false for a client.</param>
/// <param name="Name">The client_id, or the RS's audience.</param>
public sealed record AcePeer(bool IsResourceServer, string Name)
{
    /// <summary>The key under which the AS keeps this peer's OSCORE sequence number: "client:ID" or "rs:AUDIENCE".</summary>
    public string StoreKey => (IsResourceServer ? "rs:" : "client:") + Name;

    /// <inheritdoc/>
    public override string ToString() => (IsResourceServer ? "resource server '" : "client '") + Name + "'";
}
