using PopIoT.Core.Coap;

namespace PopIoT.Core.Ace;

/// <summary>
/// Rate limits for POST /authz-info (RFC 9200 §5.10.1.2: "The RS SHOULD implement rate-limiting measures to mitigate
/// attacks aiming to overload the processing capacity of the RS by repeatedly submitting tokens"): one token bucket per
/// peer, in a small fixed table, and one for the whole endpoint. Each bucket holds up to a burst of posts and earns one
/// post back every refill interval. Time is the engine's (whole seconds): credit is counted in earned seconds, so a
/// post costs the refill interval and one second earns one unit, which is exact integer arithmetic for any interval of
/// one second or more. All memory is allocated here; <see cref="Admit"/> allocates nothing (docs/ace-rs.md,
/// "Admission").
/// </summary>
internal sealed class AuthzInfoAdmission
{
    // A bucket slot that holds no peer.
    private const long Free = long.MinValue;

    private readonly int[] _peer;
    private readonly long[] _credit;
    private readonly long[] _seen;
    private readonly long _peerCost;
    private readonly long _peerCapacity;
    private readonly long _cost;
    private readonly long _capacity;
    private long _overallCredit;
    private long _overallSeen;

    /// <summary>Allocates the bucket table (<see cref="AceRsSettings.AuthzInfoPeerBuckets"/> entries).</summary>
    /// <param name="settings">The validated settings.</param>
    public AuthzInfoAdmission(AceRsSettings settings)
    {
        int n = settings.AuthzInfoPeerBuckets;
        _peer = new int[n];
        _credit = new long[n];
        _seen = new long[n];
        for (int i = 0; i < n; i++)
        {
            _seen[i] = Free;
        }

        _peerCost = settings.AuthzInfoPeerRefillSeconds;
        _peerCapacity = (long)settings.AuthzInfoPeerBurst * _peerCost;
        _cost = settings.AuthzInfoRefillSeconds;
        _capacity = (long)settings.AuthzInfoBurst * _cost;
        _overallCredit = _capacity;
        _overallSeen = Free;
    }

    /// <summary>
    /// Whether a request to /authz-info starts a body the RS will parse and validate: any request without Block1, or
    /// the first block (NUM 0) of a Block1 transfer (RFC 7959 §2.3). Later blocks only fill the reassembly buffer the
    /// transfer already holds, so a transfer is charged once, however many blocks its token needs.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <returns>True when the request is charged.</returns>
    public static bool StartsBody(CoapMessage request)
    {
        uint block;
        return !request.TryGetUint(CoapOptionNumber.Block1, out block) || (block >> 4) == 0;
    }

    /// <summary>
    /// Charges one post to <paramref name="peer"/>'s bucket and to the overall bucket, or to neither when either is
    /// empty. A peer not in the table takes a bucket; when all are taken, the one closest to full is forgotten (a full
    /// bucket is the same as a new one, so forgetting it gives nobody more than a burst), the least recently seen
    /// among equals. A new peer therefore always gets a full bucket: the table cannot lock anyone out.
    /// </summary>
    /// <param name="peer">The host's peer id.</param>
    /// <param name="now">The engine's time in seconds (never decreasing).</param>
    /// <param name="retryAfter">Seconds until the refusing bucket holds a post again (0 when admitted).</param>
    /// <returns>None; <see cref="AceRsError.PeerRateLimited"/> (4.29, RFC 8516); or
    /// <see cref="AceRsError.AuthzInfoOverloaded"/> (5.03).</returns>
    public AceRsError Admit(int peer, long now, out long retryAfter)
    {
        retryAfter = 0;
        int b = -1;
        if (_peerCapacity > 0)
        {
            b = Bucket(peer, now);
            _credit[b] = Refill(_credit[b], _seen[b], now, _peerCapacity);
            _seen[b] = now;
            if (_credit[b] < _peerCost)
            {
                retryAfter = _peerCost - _credit[b];
                return AceRsError.PeerRateLimited;
            }
        }

        if (_capacity > 0)
        {
            _overallCredit = Refill(_overallCredit, _overallSeen, now, _capacity);
            _overallSeen = now;
            if (_overallCredit < _cost)
            {
                retryAfter = _cost - _overallCredit;
                return AceRsError.AuthzInfoOverloaded;
            }

            _overallCredit -= _cost;
        }

        if (b >= 0)
        {
            _credit[b] -= _peerCost;
        }

        return AceRsError.None;
    }

    private static long Refill(long credit, long seen, long now, long capacity)
    {
        if (seen == Free || now <= seen)
        {
            return seen == Free ? capacity : credit;
        }

        long earned = now - seen;
        return earned >= capacity - credit ? capacity : credit + earned;
    }

    private int Bucket(int peer, long now)
    {
        for (int i = 0; i < _peer.Length; i++)
        {
            if (_seen[i] != Free && _peer[i] == peer)
            {
                return i;
            }
        }

        int victim = -1;
        long victimCredit = -1;
        for (int i = 0; i < _peer.Length; i++)
        {
            if (_seen[i] == Free)
            {
                victim = i;
                break;
            }

            long c = Refill(_credit[i], _seen[i], now, _peerCapacity);
            if (c > victimCredit || (c == victimCredit && _seen[i] < _seen[victim]))
            {
                victim = i;
                victimCredit = c;
            }
        }

        _peer[victim] = peer;
        _seen[victim] = Free;
        return victim;
    }
}
