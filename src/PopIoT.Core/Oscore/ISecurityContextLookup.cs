namespace PopIoT.Core.Oscore;

/// <summary>
/// Where a server finds the Security Context of a request (RFC 8613 §8.2 step 2): an <see cref="OscoreContextTable"/>
/// of contexts made on their own, or a resource server's fixed table of packed context slots.
/// </summary>
public interface ISecurityContextLookup
{
    /// <summary>
    /// The context for a request's 'kid' and 'kid context'; without a kid context, the first context with that
    /// Recipient ID matches. Does not change any use order (see <see cref="Touch"/>).
    /// </summary>
    /// <param name="kid">The array holding the kid.</param>
    /// <param name="kidOffset">Where it starts.</param>
    /// <param name="kidLength">Its length.</param>
    /// <param name="kidContext">The array holding the kid context, or null when absent.</param>
    /// <param name="kidContextOffset">Where it starts.</param>
    /// <param name="kidContextLength">Its length.</param>
    /// <returns>The context, or null.</returns>
    SecurityContext Find(byte[] kid, int kidOffset, int kidLength, byte[] kidContext, int kidContextOffset, int kidContextLength);

    /// <summary>A request verified under <paramref name="context"/>: unauthenticated traffic never reaches this, so it cannot keep a context alive.</summary>
    /// <param name="context">The context.</param>
    void Touch(SecurityContext context);
}
