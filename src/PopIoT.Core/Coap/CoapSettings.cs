using System;

namespace PopIoT.Core.Coap;

/// <summary>
/// Transmission parameters (RFC 7252 §4.8) and the sizes of every table of a <see cref="MessageLayer"/>
/// (DESIGN.md §6: every limit explicit). Times are milliseconds. The derived times follow RFC 7252 §4.8.2.
/// Read once by the <see cref="MessageLayer"/> constructor; later changes have no effect on it.
/// </summary>
public sealed class CoapSettings
{
    /// <summary>ACK_TIMEOUT: 2 s (RFC 7252 §4.8).</summary>
    public int AckTimeoutMs { get; set; } = 2000;

    /// <summary>ACK_RANDOM_FACTOR in thousandths: 1500 = 1.5 (RFC 7252 §4.8); kept as an integer for the nano subset.</summary>
    public int AckRandomFactorPermille { get; set; } = 1500;

    /// <summary>MAX_RETRANSMIT: 4 (RFC 7252 §4.8).</summary>
    public int MaxRetransmit { get; set; } = 4;

    /// <summary>NSTART: outstanding interactions per peer, 1 (RFC 7252 §4.7). Further requests are queued.</summary>
    public int NStart { get; set; } = 1;

    /// <summary>MAX_LATENCY: 100 s (RFC 7252 §4.8.2).</summary>
    public int MaxLatencyMs { get; set; } = 100000;

    /// <summary>PROCESSING_DELAY: ACK_TIMEOUT by default (RFC 7252 §4.8.2).</summary>
    public int ProcessingDelayMs { get; set; } = 2000;

    /// <summary>How long a client waits for a response after its request was acknowledged or sent NON; EXCHANGE_LIFETIME by default.</summary>
    public int ResponseTimeoutMs { get; set; } = 247000;

    /// <summary>Token length the layer generates for requests sent without one (RFC 7252 §5.3.1); 4 by default, 0..8.</summary>
    public int TokenLength { get; set; } = 4;

    /// <summary>The largest datagram sent or kept for retransmission; 1152 bytes (RFC 7252 §4.6).</summary>
    public int MaxMessageSize { get; set; } = 1152;

    /// <summary>Slots for client requests and CON messages being retransmitted (each holds a <see cref="MaxMessageSize"/> copy).</summary>
    public int MaxExchanges { get; set; } = 8;

    /// <summary>Entries of the duplicate-detection cache (each holds a <see cref="MaxMessageSize"/> reply).</summary>
    public int DeduplicationCapacity { get; set; } = 16;

    /// <summary>
    /// What a full duplicate cache does with a new request when no entry has expired. False (the default): refuse it with
    /// 5.03 Service Unavailable and Max-Age until the oldest entry expires, so no request can run twice. True: evict the
    /// entry closest to expiry, which keeps serving but lets a very late retransmission of that evicted request run again.
    /// Size the cache for (requests per second) * EXCHANGE_LIFETIME, or allow eviction for idempotent-only servers.
    /// </summary>
    public bool EvictOldestWhenFull { get; set; }

    /// <summary>Datagrams waiting for the host to take them.</summary>
    public int OutboxCapacity { get; set; } = 16;

    /// <summary>Recently sent NON messages remembered so a Reset can be matched to them (RFC 7641 §3.6).</summary>
    public int NonRecordCapacity { get; set; } = 8;

    /// <summary>Option slots of the layer's receive and response messages.</summary>
    public int OptionCapacity { get; set; } = CoapMessage.DefaultOptionCapacity;

    /// <summary>MAX_TRANSMIT_SPAN = ACK_TIMEOUT * ((2 ** MAX_RETRANSMIT) - 1) * ACK_RANDOM_FACTOR (RFC 7252 §4.8.2): 45 s.</summary>
    public long MaxTransmitSpanMs => (long)AckTimeoutMs * ((1L << MaxRetransmit) - 1) * AckRandomFactorPermille / 1000;

    /// <summary>MAX_TRANSMIT_WAIT = ACK_TIMEOUT * ((2 ** (MAX_RETRANSMIT + 1)) - 1) * ACK_RANDOM_FACTOR: 93 s.</summary>
    public long MaxTransmitWaitMs => (long)AckTimeoutMs * ((1L << (MaxRetransmit + 1)) - 1) * AckRandomFactorPermille / 1000;

    /// <summary>EXCHANGE_LIFETIME = MAX_TRANSMIT_SPAN + 2 * MAX_LATENCY + PROCESSING_DELAY (RFC 7252 §4.8.2): 247 s.</summary>
    public long ExchangeLifetimeMs => MaxTransmitSpanMs + (2L * MaxLatencyMs) + ProcessingDelayMs;

    /// <summary>NON_LIFETIME = MAX_TRANSMIT_SPAN + MAX_LATENCY (RFC 7252 §4.8.2): 145 s.</summary>
    public long NonLifetimeMs => MaxTransmitSpanMs + MaxLatencyMs;

    /// <summary>Checks the values; called by the <see cref="MessageLayer"/> constructor.</summary>
    public void Validate()
    {
        if (AckTimeoutMs < 1 || AckRandomFactorPermille < 1000 || MaxRetransmit < 0 || MaxRetransmit > 20 || NStart < 1)
        {
            throw new ArgumentException("CoAP settings: transmission parameters out of range.");
        }

        if (TokenLength < 0 || TokenLength > CoapMessage.MaxTokenLength)
        {
            throw new ArgumentException("CoAP settings: TokenLength must be 0..8.");
        }

        if (MaxMessageSize < 16 || MaxExchanges < 1 || DeduplicationCapacity < 1 || OutboxCapacity < 1 || NonRecordCapacity < 1 || OptionCapacity < 1)
        {
            throw new ArgumentException("CoAP settings: table sizes must be positive (MaxMessageSize at least 16).");
        }
    }
}
