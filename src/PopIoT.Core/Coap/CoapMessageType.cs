namespace PopIoT.Core.Coap;

/// <summary>The two-bit message type T of the CoAP header (RFC 7252 §3, §4).</summary>
public enum CoapMessageType
{
    /// <summary>Confirmable: retransmitted until acknowledged (RFC 7252 §4.2).</summary>
    Confirmable = 0,

    /// <summary>Non-confirmable: sent once (RFC 7252 §4.3).</summary>
    NonConfirmable = 1,

    /// <summary>Acknowledgement of a Confirmable message, possibly carrying a piggybacked response.</summary>
    Acknowledgement = 2,

    /// <summary>Reset: the recipient could not process a message (RFC 7252 §4.2, §4.3).</summary>
    Reset = 3,
}
