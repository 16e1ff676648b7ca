namespace PopIoT.Core.Device;

/// <summary>
/// The coap_dtls profile's RPK mode (RFC 9202 §3.2) on a host that runs raw-public-key DTLS itself
/// (<see cref="IRawPublicKeySessions"/>; the desktop simulator, docs/ace-dtls.md "RPK mode (desktop)"): the host takes
/// the handshake's datagrams, asks here whether the client's key is the cnf of a stored token, and hands the session's
/// plaintext to the same message layer, resources and ACE checks as a PSK session's, under the peer number it got here.
/// What the runtime sends to such a peer goes back through the host's session, never in the clear. A host calls these
/// under the lock it holds around every call into the runtime.
/// </summary>
public sealed partial class DeviceRuntime
{
    /// <summary>
    /// The host's raw-public-key sessions (null: none). Needs a device that serves coap_dtls
    /// (<see cref="DeviceRuntimeSettings.Dtls"/>) with <see cref="PopIoT.Core.Ace.AceRsSettings.ServesRpk"/>.
    /// </summary>
    /// <exception cref="System.InvalidOperationException">The device does not serve RPK mode.</exception>
    public IRawPublicKeySessions RawPublicKeySessions
    {
        get { return _dtlsLayer == null ? null : _dtlsLayer.RawPublicKeys; }
        set
        {
            if (_dtlsLayer == null || !_engine.ServesRpk)
            {
                throw new System.InvalidOperationException("RPK sessions need a device that serves coap_dtls in RPK mode (AceRsSettings.ServesRpk).");
            }

            _dtlsLayer.RawPublicKeys = value;
        }
    }

    /// <summary>
    /// The peer number of a client starting a raw-public-key handshake (numbered if new); -1 when the peer table is full
    /// of busy peers, or the client has a PSK session or handshake with Core's engine (a peer speaks one DTLS at a time).
    /// </summary>
    /// <param name="from">The client's address and port.</param>
    /// <returns>The peer number, or -1.</returns>
    public int AdmitRawPublicKeyPeer(DatagramAddress from)
    {
        int peer = _peers.Admit(from, _host.Clock.MonotonicMilliseconds, _layer, _observers, Dtls);
        return peer >= 0 && Dtls != null && Dtls.HasSession(peer) ? -1 : peer;
    }

    /// <summary>Whether the key a client presented is the cnf of a valid token (RFC 9202 §3.2.1); the host aborts the handshake when not.</summary>
    /// <param name="peer">The peer number.</param>
    /// <param name="xy">The key's x then y (32 bytes each).</param>
    /// <returns>True when a token holds the key.</returns>
    public bool RawPublicKeyOffered(int peer, ByteRange xy)
    {
        AdvanceEngine(_host.Clock.MonotonicMilliseconds, false);
        return _engine.DtlsRawPublicKeyOffered(peer, xy);
    }

    /// <summary>
    /// The raw-public-key handshake finished: the session is bound to the token whose cnf is the key, and the peer is
    /// marked as one that speaks DTLS (nothing in the clear from or to it passes for the session's).
    /// </summary>
    /// <param name="peer">The peer number.</param>
    /// <param name="xy">The key's x then y.</param>
    /// <returns>False when no valid token holds the key any more: the host closes the session.</returns>
    public bool RawPublicKeyConnected(int peer, ByteRange xy)
    {
        _peers.MarkDtls(peer);
        AdvanceEngine(_host.Clock.MonotonicMilliseconds, false);
        int slot = _engine.DtlsRawPublicKeyConnected(peer, xy);
        Log(DeviceLogLevel.Information, "DTLS RPK session " + peer.ToString() + (slot >= 0 ? " bound to token slot " + slot.ToString() : " has no token"));
        Flush();
        return slot >= 0;
    }

    /// <summary>
    /// Whether the host may evict the peer's raw-public-key session to admit a newly finished handshake when its table is
    /// full: the rule Core's DTLS engine applies to PSK sessions (<see cref="PopIoT.Core.Dtls.IDtlsEvictionPolicy"/>,
    /// docs/ace-dtls.md), so a session whose token verified a request within the protection time is kept, and one that
    /// idles past it or whose token went may go. The host picks the least recently used such session.
    /// </summary>
    /// <param name="peer">The session's peer number.</param>
    /// <returns>True to allow eviction.</returns>
    public bool MayEvictRawPublicKeySession(int peer)
    {
        long now = _host.Clock.MonotonicMilliseconds;
        AdvanceEngine(now, false);
        return _dtlsLayer != null && _dtlsLayer.MayEvict(peer, now);
    }

    /// <summary>One CoAP message that arrived over the peer's raw-public-key session: served like any request, authorised by the session's token alone; the answers go out before this returns.</summary>
    /// <param name="peer">The session's peer number.</param>
    /// <param name="data">The record's plaintext.</param>
    public void ReceiveOverRawPublicKeySession(int peer, ByteRange data)
    {
        if (!IsRunning)
        {
            return;
        }

        long now = _host.Clock.MonotonicMilliseconds;
        AdvanceEngine(now, false);
        if (IsRawPublicKeyPeer(peer))
        {
            _layer.Receive(data.Buffer, data.Offset, data.Count, peer, now);
        }

        Flush();
    }

    /// <summary>The peer's raw-public-key session ended (close_notify, an error, or the host stopping): its token stays for a new handshake, its observations end.</summary>
    /// <param name="peer">The peer number.</param>
    public void RawPublicKeySessionClosed(int peer)
    {
        DtlsClosed(peer, 0);
    }

    private bool IsRawPublicKeyPeer(int peer)
    {
        IRawPublicKeySessions rpk = _dtlsLayer == null ? null : _dtlsLayer.RawPublicKeys;
        return rpk != null && rpk.IsEstablished(peer);
    }

    // RFC 9202 §3.4 for the host's sessions: each whose token went is closed with close_notify.
    private void CloseRawPublicKeySessionsWithoutToken()
    {
        IRawPublicKeySessions rpk = _dtlsLayer.RawPublicKeys;
        if (rpk == null)
        {
            return;
        }

        for (int i = 0; i < rpk.SessionCapacity; i++)
        {
            int peer = rpk.EstablishedPeerAt(i);
            if (peer >= 0 && !_engine.DtlsSessionHasToken(peer, _engine.Now))
            {
                Flush();
                rpk.Close(peer);
                Log(DeviceLogLevel.Information, "DTLS RPK session " + peer.ToString() + " closed: no valid token is bound to it (RFC 9202 §3.4)");
            }
        }
    }
}
