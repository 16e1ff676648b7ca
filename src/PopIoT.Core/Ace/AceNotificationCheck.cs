namespace PopIoT.Core.Ace;

/// <summary>
/// Whether an Observe notification may still go to an observation registered under a token's OSCORE context
/// (<see cref="AceResourceServer.CheckNotification"/>), and if not, how the observation ends.
/// </summary>
public enum AceNotificationCheck
{
    /// <summary>The token is held, not expired, and still grants GET on the resource: send the notification.</summary>
    Allowed = 0,

    /// <summary>
    /// The token's lifetime is over (exp, or exi counted from receipt). RFC 9200 §5.10.3: send a final 4.01 without
    /// Observe (RFC 7641 §4.2), protected under the context, which still has its keys until the engine's time advances.
    /// </summary>
    Expired,

    /// <summary>
    /// The token no longer grants GET on the resource (an access-rights update, RFC 9203 §4.1). RFC 9200 §5.10.2: send
    /// a final 4.03 without Observe, protected under the context.
    /// </summary>
    Forbidden,

    /// <summary>
    /// The token grants other methods on the resource but not GET. RFC 9200 §5.10.2: send a final 4.05 without Observe,
    /// protected under the context.
    /// </summary>
    MethodNotAllowed,

    /// <summary>
    /// The context the observation was registered under is gone (its token expired and was dropped, it was evicted, or
    /// it was re-derived for a new token): its keys are erased, so nothing protected can be sent and nothing unprotected
    /// may be (RFC 8613 §8.3). Forget the observation without a message (RFC 7641 §3.6 lets the server forget it).
    /// </summary>
    ContextGone,
}
