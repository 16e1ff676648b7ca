namespace PopIoT.Core.Coap;

/// <summary>Why a datagram is not a well-formed CoAP message (RFC 7252 §3, §4.1). All are message format errors.</summary>
public enum CoapParseError
{
    /// <summary>The message is well-formed.</summary>
    None = 0,

    /// <summary>Fewer than the 4 header bytes; the header cannot be read.</summary>
    TooShort,

    /// <summary>Version is not 1; RFC 7252 §3 says such messages are silently ignored.</summary>
    UnknownVersion,

    /// <summary>TKL is 9..15, reserved (RFC 7252 §3).</summary>
    ReservedTokenLength,

    /// <summary>The token runs past the end of the datagram.</summary>
    TruncatedToken,

    /// <summary>An option delta or length nibble is 15 outside the payload marker (RFC 7252 §3.1).</summary>
    ReservedOptionNibble,

    /// <summary>An extended delta or length, or an option value, runs past the end of the datagram.</summary>
    TruncatedOption,

    /// <summary>The option number exceeds 65535.</summary>
    OptionNumberTooLarge,

    /// <summary>The payload marker is followed by zero bytes (RFC 7252 §3).</summary>
    EmptyPayload,

    /// <summary>More options than the message object has slots for.</summary>
    TooManyOptions,

    /// <summary>Code 0.00 with a token, options or payload (RFC 7252 §4.1).</summary>
    NonEmptyEmptyMessage,
}
