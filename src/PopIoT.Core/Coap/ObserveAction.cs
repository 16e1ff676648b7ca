namespace PopIoT.Core.Coap;

/// <summary>What <see cref="ObserveRegistry.HandleRequest"/> did with a request's Observe option (RFC 7641 §2, §3.6).</summary>
public enum ObserveAction
{
    /// <summary>The request had no Observe option (or was not a GET/FETCH).</summary>
    None = 0,

    /// <summary>Observe 0: the client is now (or still) registered; the response carries an Observe number.</summary>
    Registered,

    /// <summary>Observe 1: the registration was removed.</summary>
    Deregistered,

    /// <summary>Observe 0 but the table is full: answered as a plain response (RFC 7641 §4.1 allows that).</summary>
    TableFull,
}
