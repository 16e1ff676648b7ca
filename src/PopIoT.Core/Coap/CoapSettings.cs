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

    /// <summary>Entries of the duplicate-detection cache (their replies are kept in <see cref="DeduplicationPoolBytes"/>).</summary>
    public int DeduplicationCapacity { get; set; } = 16;

    /// <summary>
    /// The bytes of the duplicate cache's reply pool, shared by its entries; 0 (the default) means
    /// <see cref="DeduplicationCapacity"/> × <see cref="MaxMessageSize"/>, so every entry keeps a whole message. Else at
    /// least <see cref="MaxMessageSize"/>: a device keeps its latest replies in less, and an entry whose reply was
    /// overwritten by later ones is forgotten, its duplicate processed again as after an eviction (RFC 7252 §4.5 makes
    /// the cache an optimisation; docs/coap.md, "Duplicate detection").
    /// </summary>
    public int DeduplicationPoolBytes { get; set; }

    /// <summary>
    /// The most live entries of the duplicate cache one peer may hold; 0 (the default) means a quarter of
    /// <see cref="DeduplicationCapacity"/>, at least 1 (see <see cref="DeduplicationPerPeerLimit"/>). A peer's new request
    /// beyond its share replaces that peer's oldest entry, so one peer, honest or not, cannot crowd out the others. A
    /// client that keeps NSTART = 1 (RFC 7252 §4.7) has one request in flight and needs only one entry.
    /// </summary>
    public int DeduplicationPerPeer { get; set; }

    /// <summary>
    /// What a full duplicate cache does with a new request. True (the default): evict the entry closest to expiry and
    /// serve the request. RFC 7252 §4.5 makes the cache an optimisation, so a very late retransmission of the evicted
    /// request is processed again as a server without the entry would; under OSCORE the replay window still refuses it
    /// (RFC 8613 §7.4). False: refuse it with 5.03 Service Unavailable and Max-Age until an entry expires, so no request
    /// runs twice, at the price that anyone who can send datagrams can fill the cache and lock every client out for
    /// EXCHANGE_LIFETIME; only for a server whose resources are not idempotent and whose peers are trusted.
    /// </summary>
    public bool EvictOldestWhenFull { get; set; } = true;

    /// <summary>Datagrams waiting for the host to take them.</summary>
    public int OutboxCapacity { get; set; } = 16;

    /// <summary>Recently sent NON messages remembered so a Reset can be matched to them (RFC 7641 §3.6).</summary>
    public int NonRecordCapacity { get; set; } = 8;

    /// <summary>
    /// Peer addresses a host keeps numbered for the layer; 1024 by default. Beyond it, the least recently heard peer with
    /// nothing open gives up its number (docs/coap.md, "Peers"), so datagrams from ever new source addresses cannot grow
    /// the host's memory without bound.
    /// </summary>
    public int MaxPeers { get; set; } = 1024;

    /// <summary>Option slots of the layer's receive and response messages.</summary>
    public int OptionCapacity { get; set; } = CoapMessage.DefaultOptionCapacity;

    /// <summary>The share of the duplicate cache one peer may hold: <see cref="DeduplicationPerPeer"/>, or a quarter of the cache when it is 0.</summary>
    public int DeduplicationPerPeerLimit
    {
        get
        {
            int limit = DeduplicationPerPeer > 0 ? DeduplicationPerPeer : DeduplicationCapacity / 4;
            if (limit > DeduplicationCapacity)
            {
                limit = DeduplicationCapacity;
            }

            return limit < 1 ? 1 : limit;
        }
    }

    /// <summary>The reply pool's size: <see cref="DeduplicationPoolBytes"/>, or one message per entry when it is 0.</summary>
    public int DeduplicationPoolLimit => DeduplicationPoolBytes > 0 ? DeduplicationPoolBytes : DeduplicationCapacity * MaxMessageSize;

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

        if (MaxMessageSize < 16 || MaxExchanges < 1 || DeduplicationCapacity < 1 || OutboxCapacity < 1 || NonRecordCapacity < 1 || OptionCapacity < 1 || MaxPeers < 1 || DeduplicationPerPeer < 0)
        {
            throw new ArgumentException("CoAP settings: table sizes must be positive (MaxMessageSize at least 16, DeduplicationPerPeer 0 or more).");
        }

        if (DeduplicationPoolBytes != 0 && DeduplicationPoolBytes < MaxMessageSize)
        {
            throw new ArgumentException("CoAP settings: DeduplicationPoolBytes must be 0 (one message per entry) or at least MaxMessageSize, so any reply can be kept.");
        }
    }
}
