using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;

namespace PopIoT.Oscore;

/// <summary>
/// The client side of OSCORE for a <see cref="Coap.CoapClient"/>: one <see cref="SecurityContext"/> and one
/// <see cref="OscoreProcessor"/> shared by the client's endpoints, used under its own lock (taken inside an endpoint's
/// gate, never the other way round), and the Outer block-wise settings (RFC 8613 §4.1.3.4.2).
/// </summary>
/// <param name="context">The security context.</param>
/// <param name="includeKidContext">Whether requests carry the ID Context as 'kid context'.</param>
/// <param name="outerBlockSize">The Outer block size in bytes, or null (see <see cref="Coap.CoapClientOptions.OscoreOuterBlockSize"/>).</param>
/// <param name="maxUnfragmentedSize">MAX_UNFRAGMENTED_SIZE (see <see cref="Coap.CoapClientOptions.OscoreMaxUnfragmentedSize"/>).</param>
/// <param name="maxMessageSize">The largest datagram the client's message layer sends.</param>
internal sealed class OscoreClientSession(SecurityContext context, bool includeKidContext, int? outerBlockSize, int maxUnfragmentedSize, int maxMessageSize)
{
    // Room for a 1024-byte block (RFC 7959, the largest) plus the Code and Inner options, both ways (RFC 8613 §4.1.3.4.1),
    // or for a whole message of MAX_UNFRAGMENTED_SIZE reassembled from Outer blocks (§4.1.3.4.2), whichever is larger.
    private readonly OscoreProcessor _processor = new(Math.Max(1024 + 256, maxUnfragmentedSize));
    private readonly object _lock = new();

    public SecurityContext Context { get; } = context;

    /// <summary>Held while a verified response is read (it points into the processor's buffers until the next call).</summary>
    public object Gate => _lock;

    /// <summary>The Outer block size exponent (RFC 7959 §2.2), or -1 when only oversized messages are fragmented.</summary>
    public int OuterSzx { get; } = outerBlockSize is int size ? Coap.ClientExchange.BlockSzx(size) : -1;

    /// <summary>The largest datagram the client sends; a protected request above it goes in Outer Block1 blocks.</summary>
    public int MaxMessageSize { get; } = maxMessageSize;

    /// <summary>A new Outer block-wise helper for one request (its buffers: a protected request and a reassembled response).</summary>
    public OuterBlockwiseClient NewOuterBlockwise() => new(Math.Max(1024 + 256, maxUnfragmentedSize) + 16, maxUnfragmentedSize);

    /// <summary>Protects a request in place (RFC 8613 §8.1); the endpoint's layer serializes it before the next call.</summary>
    public OscoreStatus Protect(CoapMessage request, OscoreExchange exchange)
    {
        lock (_lock)
        {
            return _processor.ProtectRequest(request, Context, includeKidContext, exchange);
        }
    }

    /// <summary>Verifies a response in place (RFC 8613 §8.4); the caller copies what it needs before the next call.</summary>
    public OscoreStatus Unprotect(CoapMessage response, OscoreExchange exchange)
    {
        lock (_lock)
        {
            return _processor.UnprotectResponse(response, exchange);
        }
    }
}
