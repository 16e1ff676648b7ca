using PopIoT.Core.Dtls;

namespace PopIoT.Core.Device;

/// <summary>
/// CoAP over DTLS on the device (RFC 7252 §9, the coap_dtls profile RFC 9202; docs/firmware.md, "CoAP over DTLS"):
/// one socket, demultiplexed by the first byte of each datagram (RFC 7983 §7: 20..63 DTLS, 64..127 CoAP), so a board
/// needs no second socket; the host may bind it to both the coap and the coaps port (the simulator does). A DTLS
/// record goes to the DTLS engine; its application data goes to the same message layer as plain CoAP, under the same
/// peer number, and the request is authorised by the token bound to its session. What the message layer sends to a
/// peer with a session is sealed into that session, and what it sends to a peer whose session ended goes nowhere. A
/// plain CoAP datagram from a peer that has or had a session is dropped: a peer speaks one or the other, so nothing
/// unprotected can pass for a request of the session.
/// </summary>
public sealed partial class DeviceRuntime
{
    private DeviceDtlsLayer _dtlsLayer;

    /// <summary>The DTLS engine (null when the device serves OSCORE only): its sessions, counters, handshakes.</summary>
    public DtlsEngine Dtls
    {
        get { return _dtlsLayer == null ? null : _dtlsLayer.Engine; }
    }

    /// <summary>Plain CoAP datagrams dropped because their sender has a DTLS session (it must speak DTLS).</summary>
    public int PlainDatagramsFromSessionPeers
    {
        get { return _dtlsLayer == null ? 0 : _dtlsLayer.PlainFromSessionPeers; }
    }

    // The DTLS engine, sized by the settings (board profile); only when the device serves coap_dtls.
    private void BuildDtls()
    {
        if (_settings.Dtls != null)
        {
            _dtlsLayer = new DeviceDtlsLayer(this, _settings.Dtls, _host.Crypto);
        }
    }

    // RFC 7983 §7: the first byte tells DTLS (20..63) from CoAP (64..127, version 1); anything else is dropped.
    private void DeliverDemultiplexed(int count, int peer, long now)
    {
        int first = count > 0 ? _datagram[0] : 0;
        DtlsEngine dtls = Dtls;
        if (first >= 20 && first <= 63)
        {
            if (dtls != null)
            {
                // The cookie covers the sender's address and port (RFC 6347 §4.2.1).
                byte[] cookieAddress = _dtlsLayer.CookieAddress;
                int n = _from.AddressLength;
                System.Array.Copy(_from.Address, 0, cookieAddress, 0, n);
                cookieAddress[n] = (byte)(_from.Port >> 8);
                cookieAddress[n + 1] = (byte)_from.Port;
                dtls.Receive(new ByteRange(_datagram, 0, count), peer, new ByteRange(cookieAddress, 0, n + 2), now);
            }

            return;
        }

        if (dtls != null && (dtls.HasSession(peer) || _peers.IsDtls(peer)))
        {
            _dtlsLayer.PlainFromSessionPeers++;
            return;
        }

        _layer.Receive(_datagram, 0, count, peer, now);
    }

    // Whether the message layer's request from this peer came over its DTLS session (plain ones from session peers are
    // dropped before the layer, so a session peer's requests are the session's).
    private bool IsDtlsPeer(int peer)
    {
        return _dtlsLayer != null && (_dtlsLayer.Engine.IsEstablished(peer) || IsRawPublicKeyPeer(peer));
    }

    internal void DtlsConnected(int peer)
    {
        _peers.MarkDtls(peer);
        int slot = _engine.DtlsConnected(peer);
        Log(DeviceLogLevel.Information, "DTLS session " + peer.ToString() + (slot >= 0 ? " bound to token slot " + slot.ToString() : " has no token (it went during the handshake)"));
    }

    internal void DtlsApplicationData(int peer, ByteRange data)
    {
        _layer.Receive(data.Buffer, data.Offset, data.Count, peer, _host.Clock.MonotonicMilliseconds);
    }

    internal void DtlsClosed(int peer, int alert)
    {
        _engine.DtlsClosed(peer);

        // RFC 7641 §3.6: the session's observations cannot be notified any more.
        for (int i = 0; i < _observers.Capacity; i++)
        {
            if (_observers.IsActive(i) && _observers.GetPeer(i) == peer)
            {
                _observers.RemoveAt(i);
            }
        }
    }

    // RFC 9202 §3.4: a session does not outlive its token. What ending observations queued goes out first, over the
    // session, then the session is closed with close_notify (its keys erased).
    private void CloseSessionsWithoutToken(long now)
    {
        DtlsEngine dtls = Dtls;
        if (dtls == null)
        {
            return;
        }

        for (int i = 0; i < dtls.SessionCapacity; i++)
        {
            int peer = dtls.EstablishedPeerAt(i);
            if (peer >= 0 && !_engine.DtlsSessionHasToken(peer, _engine.Now))
            {
                Flush();
                dtls.Close(peer, now);
                Log(DeviceLogLevel.Information, "DTLS session " + peer.ToString() + " closed: no valid token is bound to it (RFC 9202 §3.4)");
            }
        }

        CloseRawPublicKeySessionsWithoutToken();
    }

    // The message layer's datagram for a session peer, sealed into its session; false when it has none.
    private bool SendOverDtls(int peer, int length, long now)
    {
        if (_dtlsLayer.Engine.IsEstablished(peer))
        {
            return _dtlsLayer.Engine.Send(peer, new ByteRange(_datagram, 0, length), now);
        }

        // A raw-public-key session of the host's (RFC 9202 §3.2).
        return _dtlsLayer.RawPublicKeys.Send(peer, _datagram, 0, length);
    }

    private void FlushDtls()
    {
        int length;
        int peer;
        byte[] datagram = _dtlsLayer.Out;
        while (_dtlsLayer.Engine.TryTakeOutgoing(datagram, 0, out length, out peer))
        {
            if (_peers.TryGetAddress(peer, _to))
            {
                _host.Socket.Send(_to, datagram, 0, length);
            }
        }
    }
}
