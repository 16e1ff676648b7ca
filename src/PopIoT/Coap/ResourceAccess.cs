namespace PopIoT.Coap;

/// <summary>The access rule a resource is declared with (<see cref="CoapServer.Map"/>), once.</summary>
public enum ResourceAccess
{
    /// <summary>Anyone may use it, in the clear or under OSCORE.</summary>
    Unprotected = 0,

    /// <summary>Only OSCORE-verified requests reach it (RFC 8613 §8.2); a device authorising by token is DeviceRuntime.</summary>
    Protected = 1,
}
