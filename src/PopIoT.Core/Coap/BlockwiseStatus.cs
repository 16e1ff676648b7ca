namespace PopIoT.Core.Coap;

/// <summary>What a block-wise helper concluded about one message (RFC 7959).</summary>
public enum BlockwiseStatus
{
    /// <summary>The message carries no block option; the payload is the whole body.</summary>
    NotBlockwise = 0,

    /// <summary>More blocks are needed (server: the response is a 2.31 Continue; client: send the next request).</summary>
    Continue,

    /// <summary>The body is complete.</summary>
    Complete,

    /// <summary>The transfer failed; on a server the response holds the error code (4.00, 4.08, 4.13).</summary>
    Error,
}
