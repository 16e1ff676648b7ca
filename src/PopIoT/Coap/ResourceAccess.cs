namespace PopIoT.Coap;

/// <summary>The access rule a resource is declared with (<see cref="CoapServer.Map"/>), once.</summary>
public enum ResourceAccess
{
    /// <summary>Anyone may use it, in the clear or under OSCORE.</summary>
    Unprotected = 0,

    /// <summary>Only requests a token authorises reach it (RFC 9200 §5.10.2; 4.01 with AS Request Creation Hints otherwise).</summary>
    Protected = 1,
}
