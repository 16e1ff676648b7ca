using PopIoT.Core.Coap;

namespace PopIoT.Coap;

/// <summary>
/// RFC 7959 §2.6: the body of a response to a non-GET request that is sent in Block2 blocks is kept here, per (peer,
/// resource, method), so the client's follow-up requests for blocks 1, 2 ... get slices of that one response instead of
/// running the handler again (a POST must run once). Bounded: the entry closest to expiry goes first. Thread-safe.
/// </summary>
internal sealed class BlockBodyCache(long lifetimeMs)
{
    private const int MaxBodies = 64;
    private readonly Dictionary<(int Peer, int Resource, byte Method), (CoapResponse Response, long ExpiresMs)> _bodies = [];

    public void Remember(int peer, int resource, byte method, CoapMessage response, CoapResponse r, long now)
    {
        // Only a non-GET response that went out as block 0 of several needs keeping (a GET is simply repeated).
        if (method == CoapCode.Get || !response.TryGetUint(CoapOptionNumber.Block2, out uint b2) || (b2 & 0x08) == 0)
        {
            return;
        }

        lock (_bodies)
        {
            if (_bodies.Count >= MaxBodies)
            {
                _bodies.Remove(_bodies.MinBy(kv => kv.Value.ExpiresMs).Key);
            }

            _bodies[(peer, resource, method)] = (r, now + lifetimeMs);
        }
    }

    public void Forget(int peer, int resource, byte method)
    {
        lock (_bodies)
        {
            _bodies.Remove((peer, resource, method));
        }
    }

    public bool TryGet(int peer, int resource, byte method, long now, out CoapResponse? r)
    {
        lock (_bodies)
        {
            if (_bodies.TryGetValue((peer, resource, method), out var kept) && kept.ExpiresMs > now)
            {
                r = kept.Response;
                return true;
            }

            _bodies.Remove((peer, resource, method));
            r = null;
            return false;
        }
    }
}
