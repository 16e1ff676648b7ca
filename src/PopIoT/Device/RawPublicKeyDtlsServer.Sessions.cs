using Microsoft.Extensions.Logging;

namespace PopIoT.Device;

/// <summary>
/// The RPK server's fixed session table (docs/ace-dtls.md, "RPK mode (desktop)"): at most <c>maxSessions</c> established
/// sessions, and when it is full the rule Core applies to PSK sessions decides which one a newly finished handshake may
/// evict (<see cref="PopIoT.Core.Device.DeviceRuntime.MayEvictRawPublicKeySession"/>).
/// </summary>
public sealed partial class RawPublicKeyDtlsServer
{
    /// <inheritdoc/>
    public int EstablishedPeerAt(int index)
    {
        lock (_lock)
        {
            RawPublicKeySession? s = _sessions[index];
            return s != null && s.IsEstablished ? s.Peer : -1;
        }
    }

    // The finished handshake takes a session entry. When all are taken, the device's tick first closes the sessions whose
    // token went (RFC 9202 §3.4); then the least recently used session that Core's rule lets go (not in use within the
    // protection time, as PSK sessions and OSCORE slots: docs/ace-dtls.md) is closed with close_notify for it. When none
    // may go the new one is refused and its client retries (DESIGN.md §6: every limit explicit).
    internal bool Established(RawPublicKeySession session)
    {
        if (TryPlace(session))
        {
            return true;
        }

        // Outside this lock (the device's lock comes first).
        Device.Tick();
        if (TryPlace(session))
        {
            return true;
        }

        RawPublicKeySession[] byUse;
        long[] usedAt;
        lock (_lock)
        {
            if (_disposed)
            {
                return false;
            }

            byUse = _sessions.Where(s => s != null && s.IsEstablished).Select(s => s!).OrderBy(s => s.LastUsed).ToArray();
            usedAt = byUse.Select(s => s.LastUsed).ToArray();
        }

        for (int i = 0; i < byUse.Length; i++)
        {
            RawPublicKeySession old = byUse[i];
            if (!Device.MayEvict(old.Peer) || !TryReplace(old, usedAt[i], session))
            {
                continue;
            }

            Logger?.LogInformation("DTLS RPK session with {Client} evicted for {Newcomer}: the table is full and it carried no request within the protection time", old.Client, session.Client);
            old.Abort();
            return true;
        }

        lock (_lock)
        {
            SessionsRefused++;
        }

        return false;
    }

    // The session has carried a request (the order of use the eviction goes by).
    internal void Used(RawPublicKeySession session)
    {
        session.LastUsed = Interlocked.Increment(ref _uses);
    }

    internal void Ended(RawPublicKeySession session)
    {
        lock (_lock)
        {
            if (_routes.TryGetValue(session.Client, out RawPublicKeySession? s) && s == session)
            {
                _routes.Remove(session.Client);
            }

            int i = Array.IndexOf(_sessions, session);
            if (i >= 0)
            {
                _sessions[i] = null;
            }
        }
    }

    // Whether another established session than this one holds the peer (a client that reconnected from the same address).
    internal bool HasOtherSession(int peer, RawPublicKeySession session)
    {
        lock (_lock)
        {
            return _sessions.Any(s => s != null && s != session && s.Peer == peer && s.IsEstablished);
        }
    }

    // A free entry (or one whose session is closing) for the session; false when all hold established sessions.
    private bool TryPlace(RawPublicKeySession session)
    {
        lock (_lock)
        {
            int free = Array.FindIndex(_sessions, s => s == null || !s.IsEstablished);
            if (_disposed || free < 0)
            {
                return false;
            }

            _sessions[free] = session;
            Used(session);
            return true;
        }
    }

    // The evictable session's entry goes to the new one, unless it was used (or closed) since Core allowed its eviction.
    private bool TryReplace(RawPublicKeySession old, long usedAt, RawPublicKeySession session)
    {
        lock (_lock)
        {
            int i = Array.IndexOf(_sessions, old);
            if (_disposed || i < 0 || !old.IsEstablished || old.LastUsed != usedAt)
            {
                return false;
            }

            _sessions[i] = session;
            Used(session);
            Evictions++;
            return true;
        }
    }

    private RawPublicKeySession? Find(int peer)
    {
        lock (_lock)
        {
            foreach (RawPublicKeySession? s in _sessions)
            {
                if (s != null && s.Peer == peer && s.IsEstablished)
                {
                    return s;
                }
            }

            return null;
        }
    }
}
