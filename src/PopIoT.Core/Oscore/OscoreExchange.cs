namespace PopIoT.Core.Oscore;

/// <summary>
/// What binds a response to its request (RFC 8613 §5.4, §8.3): the context, the request's 'kid' (request_kid) and
/// Partial IV (request_piv), and for Observe the Notification Number (§4.1.3.5.2, §7.4.1). Filled by request
/// protection or verification and used by response protection or verification. Preallocate one per concurrent
/// exchange (one per observation for notifications); 18 bytes of state plus the object header.
/// </summary>
public sealed class OscoreExchange
{
    private readonly byte[] _requestKid = new byte[7];
    private readonly byte[] _requestPiv = new byte[OscoreNonce.MaxPartialIvLength];
    private int _generation;

    /// <summary>The context of the exchange, or null before any request was processed.</summary>
    public SecurityContext Context { get; private set; }

    /// <summary>
    /// True while the context still has the keys this exchange was made under: not erased, and not re-derived for
    /// another client in the same table slot (<see cref="SecurityContext.Generation"/>).
    /// </summary>
    public bool IsCurrent => Context != null && !Context.IsDisposed && Context.Generation == _generation;

    /// <summary>The largest Partial IV of the notifications received so far, or -1 (RFC 8613 §7.4.1).</summary>
    public long NotificationNumber { get; internal set; } = -1;

    internal byte[] RequestKid => _requestKid;

    internal int RequestKidLength { get; private set; }

    internal byte[] RequestPiv => _requestPiv;

    internal int RequestPivLength { get; private set; }

    /// <summary>Copies another exchange, e.g. to keep an Observe registration's binding for later notifications.</summary>
    /// <param name="other">The exchange to copy.</param>
    public void CopyFrom(OscoreExchange other)
    {
        Set(other.Context, other._requestKid, 0, other.RequestKidLength, other._requestPiv, 0, other.RequestPivLength);
        _generation = other._generation;
        NotificationNumber = other.NotificationNumber;
    }

    /// <summary>
    /// Binds the same request (its request_kid and request_piv) to another context: in RFC 8613 Appendix B.2 response #1
    /// answers a request verified under ID Context ID1 with the context derived from R2 || ID1.
    /// </summary>
    /// <param name="context">The context the response is protected or verified with.</param>
    public void Rebind(SecurityContext context)
    {
        Context = context;
        _generation = context == null ? 0 : context.Generation;
        NotificationNumber = -1;
    }

    /// <summary>Forgets the exchange.</summary>
    public void Clear()
    {
        Context = null;
        RequestKidLength = 0;
        RequestPivLength = 0;
        NotificationNumber = -1;
    }

    internal void Set(SecurityContext context, byte[] kid, int kidOffset, int kidLength, byte[] piv, int pivOffset, int pivLength)
    {
        Context = context;
        _generation = context == null ? 0 : context.Generation;
        for (int i = 0; i < kidLength; i++)
        {
            _requestKid[i] = kid[kidOffset + i];
        }

        for (int i = 0; i < pivLength; i++)
        {
            _requestPiv[i] = piv[pivOffset + i];
        }

        RequestKidLength = kidLength;
        RequestPivLength = pivLength;
        NotificationNumber = -1;
    }
}
