using System.Net;
using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;
using PopIoT.Core.Dtls;
using PopIoT.Core.Oscore;

namespace PopIoT.Coap;

/// <summary>Settings of a <see cref="CoapClient"/>.</summary>
public sealed class CoapClientOptions
{
    /// <summary>
    /// RFC 7252 transmission parameters and table sizes of each underlying message layer. Null: the RFC defaults
    /// (ACK_TIMEOUT 2 s, MAX_RETRANSMIT 4, NSTART 1) with tables sized for <see cref="MaxConcurrentRequests"/>.
    /// </summary>
    public CoapSettings? Settings { get; set; }

    /// <summary>Requests (and observations) in progress at once; further calls wait. 64 by default.</summary>
    public int MaxConcurrentRequests { get; set; } = 64;

    /// <summary>
    /// The longest a request may take in all, blocks included; <see cref="Timeout.InfiniteTimeSpan"/> (the default) leaves it
    /// to the RFC 7252 retransmission schedule (about 93 s for a CON request nobody acknowledges).
    /// </summary>
    public TimeSpan Timeout { get; set; } = System.Threading.Timeout.InfiniteTimeSpan;

    /// <summary>Block size for request bodies when <see cref="CoapRequest.BlockSize"/> is not set: 1024 (RFC 7959).</summary>
    public int BlockSize { get; set; } = 1024;

    /// <summary>
    /// The local address of the UDP socket. Null: an ephemeral port on the loopback address for loopback destinations,
    /// otherwise on the wildcard address of the destination's family.
    /// </summary>
    public IPEndPoint? LocalEndPoint { get; set; }

    /// <summary>
    /// One UDP socket per destination, connected to it (as libcoap's client sessions), so the network's "port
    /// unreachable" (ICMP, RFC 1122 §4.1.3.3) fails the requests waiting on that destination at once with
    /// "connection refused" instead of after every retransmission. True by default; false shares one unconnected socket
    /// per address family among all destinations (fewer sockets for a gateway talking to very many devices). Ignored
    /// with <see cref="LocalEndPoint"/> or a given transport.
    /// </summary>
    public bool SocketPerDestination { get; set; } = true;

    /// <summary>
    /// Called with one line for each datagram sent or received, retransmissions marked, in the notation of libcoap's
    /// coap-client -v (see <see cref="CoapTrace"/>); null for none. Called under the endpoint's lock: keep it short.
    /// </summary>
    public Action<string>? Trace { get; set; }

    /// <summary>The source of Message IDs, tokens and jitter; the platform CSPRNG when null.</summary>
    public IRandomSource? Random { get; set; }

    /// <summary>
    /// The OSCORE security context (RFC 8613) that protects every request, or null for plain CoAP. The client uses it
    /// from then on (its Sender Sequence Number advances); a 4.01 with an Echo option (Appendix B.1.2) is answered by
    /// repeating the request once with the Echo. Observe works too: each notification is verified with its own Partial
    /// IV, which must increase (RFC 8613 §4.1.3.5, §7.4.1).
    /// </summary>
    public SecurityContext? Oscore { get; set; }

    /// <summary>
    /// Whether protected requests carry the context's ID Context as 'kid context' (RFC 8613 §6.1). True by default: a
    /// server holding several contexts with the same Recipient ID needs it to find the right one (§5.1, §8.2 step 2).
    /// A context without an ID Context sends none either way.
    /// </summary>
    public bool OscoreIncludeKidContext { get; set; } = true;

    /// <summary>
    /// Outer block-wise (RFC 8613 §4.1.3.4.2) for OSCORE requests: the block size, 16..1024, or null (the default).
    /// Large bodies are always cut into Inner blocks of <see cref="BlockSize"/> first (§4.1.3.4.1, each block its own
    /// OSCORE request); Outer blocks cut the protected message itself, for a path whose datagrams are smaller. When set,
    /// a protected request whose ciphertext is longer goes in Outer Block1 blocks of this size, and every protected
    /// request asks for Outer Block2 blocks of this size (RFC 7959 §2.4 early negotiation). Whatever the setting, a
    /// protected request larger than <see cref="CoapSettings.MaxMessageSize"/> goes in Outer Block1 blocks, and a
    /// response a server or proxy fragments with Outer Block2 is reassembled before it is verified.
    /// </summary>
    public int? OscoreOuterBlockSize { get; set; }

    /// <summary>
    /// MAX_UNFRAGMENTED_SIZE (RFC 8613 §4.1.3.4.2): the largest protected response payload reassembled from Outer Block2
    /// blocks (a larger one fails the request); also sizes the OSCORE buffers. 4096 by default.
    /// </summary>
    public int OscoreMaxUnfragmentedSize { get; set; } = 4096;

    /// <summary>
    /// The psk_identity for coaps:// (CoAP over DTLS 1.2 with a pre-shared key, RFC 7252 §9, RFC 4279): opaque bytes,
    /// sent whole (zero bytes included). With <see cref="Psk"/>; without them coaps:// URIs are refused.
    /// </summary>
    public byte[]? PskIdentity { get; set; }

    /// <summary>The pre-shared key for coaps:// (copied by each DTLS session host, erased when the client is disposed).</summary>
    public byte[]? Psk { get; set; }

    /// <summary>
    /// The DTLS engine's sizes and timers for coaps://, one engine per socket. Null: <see cref="DtlsCoapTransportOptions.ForClient"/>
    /// for a socket per destination (one session), <see cref="DtlsCoapTransportOptions.ForHost"/> for a shared socket or a given transport.
    /// </summary>
    public DtlsSettings? Dtls { get; set; }
}
