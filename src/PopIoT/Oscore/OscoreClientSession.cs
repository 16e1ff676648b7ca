using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;

namespace PopIoT.Oscore;

/// <summary>
/// The client side of OSCORE for a <see cref="Coap.CoapClient"/>: one <see cref="SecurityContext"/> and one
/// <see cref="OscoreProcessor"/> shared by the client's endpoints, used under its own lock (taken inside an endpoint's
/// gate, never the other way round).
/// </summary>
internal sealed class OscoreClientSession(SecurityContext context, bool includeKidContext)
{
    // Room for a 1024-byte block (RFC 7959, the largest) plus the Code and Inner options, both ways (RFC 8613 §4.1.3.4.1).
    private readonly OscoreProcessor _processor = new(1024 + 256);
    private readonly object _lock = new();

    public SecurityContext Context { get; } = context;

    /// <summary>Held while a verified response is read (it points into the processor's buffers until the next call).</summary>
    public object Gate => _lock;

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
