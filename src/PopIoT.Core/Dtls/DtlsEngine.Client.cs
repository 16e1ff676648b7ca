using System;

using PopIoT.Core.Crypto;

namespace PopIoT.Core.Dtls;

/// <summary>The client's side of the PSK handshake (RFC 6347 §4.2.1, RFC 4279 §2, RFC 7627), and what both sides share.</summary>
public sealed partial class DtlsEngine
{
    /// <summary>
    /// Starts a PSK handshake as client with the server at <paramref name="peer"/>; <see cref="IDtlsListener.OnConnected"/>
    /// or <see cref="IDtlsListener.OnClosed"/> tells how it ended.
    /// </summary>
    /// <param name="peer">The host's index for the server.</param>
    /// <param name="identity">The psk_identity, opaque bytes (1 to <see cref="DtlsSettings.MaxIdentityLength"/>).</param>
    /// <param name="psk">The key (1 to <see cref="DtlsSettings.MaxPskLength"/> bytes); copied, and erased when the keys are derived.</param>
    /// <param name="now">The current monotonic time in milliseconds.</param>
    /// <returns>False when the peer already has a session, the sizes are wrong, or no session slot or handshake entry is free.</returns>
    public bool Connect(int peer, ByteRange identity, ByteRange psk, long now)
    {
        if (identity.Count < 1 || identity.Count > _settings.MaxIdentityLength || psk.Count < 1 || psk.Count > _settings.MaxPskLength || Find(peer) != null)
        {
            return false;
        }

        DtlsHandshake h = FreeHandshake();
        DtlsSession s = h == null ? null : FreeSession(now);
        if (s == null)
        {
            return false;
        }

        Bind(s, h, peer, now);
        s.IsClient = true;
        identity.CopyTo(h.Identity, 0);
        h.IdentityLength = identity.Count;
        psk.CopyTo(h.Psk, 0);
        h.PskLength = psk.Count;
        _random.GetBytes(s.Secrets, DtlsSession.ClientRandom, 32);
        StartTimers(h, now);
        SendClientHello(s, h, now);
        return true;
    }

    private void SendClientHello(DtlsSession s, DtlsHandshake h, long now)
    {
        DtlsFlight f = h.Flight;
        f.Clear();
        byte[] d = f.Data;
        int seq = h.NextSendSeq++;
        int start = f.BeginMessage(0, DtlsHandshakeType.ClientHello, seq);

        // RFC 6347 §4.2.1 / RFC 5246 §7.4.1.2: version, random, empty session_id, cookie, suites, null compression.
        DtlsWire.Write16(d, start, DtlsWire.Version12);
        Array.Copy(s.Secrets, DtlsSession.ClientRandom, d, start + 2, 32);
        d[start + 34] = 0;
        d[start + 35] = (byte)h.CookieLength;
        Array.Copy(h.Cookie, 0, d, start + 36, h.CookieLength);
        int p = start + 36 + h.CookieLength;
        int[] suites = _settings.CipherSuites;
        DtlsWire.Write16(d, p, (suites.Length + 1) * 2);
        p += 2;
        for (int i = 0; i < suites.Length; i++)
        {
            DtlsWire.Write16(d, p, suites[i]);
            p += 2;
        }

        // RFC 5746 §3.4: the SCSV signals secure renegotiation (which this engine then refuses).
        DtlsWire.Write16(d, p, DtlsCipherSuite.EmptyRenegotiationInfoScsv);
        d[p + 2] = 1;
        d[p + 3] = 0;

        // RFC 7627 §5.1: extended_master_secret, empty.
        DtlsWire.Write16(d, p + 4, 4);
        DtlsWire.Write16(d, p + 6, DtlsClientHello.ExtendedMasterSecretExtension);
        DtlsWire.Write16(d, p + 8, 0);
        p += 10;
        f.EndMessage(p);

        // RFC 6347 §4.2.6: the transcript starts with the ClientHello the server answers with ServerHello.
        h.Transcript.Reset();
        h.Transcript.Add(DtlsHandshakeType.ClientHello, seq, new ByteRange(d, start, p - start));

        // RFC 6347 §4.2.2: the server answers with the same message_seq (HelloVerifyRequest or ServerHello).
        h.Reassembler.Reset(seq);
        h.PeerFlightEnd = -1;
        h.State = DtlsHandshake.ClientWaitHello;
        h.RetransmitInterval = _settings.InitialRetransmitMs;
        h.RetransmitAt = now + h.RetransmitInterval;
        SendFlight(s, h);
    }

    /// <summary>One whole handshake message from the server, in order; returns an alert, 0 to go on, −1 when handled otherwise.</summary>
    private int ClientMessage(DtlsSession s, DtlsHandshake h, int type, int seq, ByteRange body, long now)
    {
        if (h.State == DtlsHandshake.ClientWaitHello && type == DtlsHandshakeType.HelloVerifyRequest)
        {
            // RFC 6347 §4.2.1: server_version(2), cookie<0..2^8-1>; then the ClientHello again with the cookie.
            if (body.Count < 3 || body[2] != body.Count - 3 || body[2] == 0 || body[0] != 0xFE)
            {
                return DtlsAlert.IllegalParameter;
            }

            h.CookieLength = body[2];
            Array.Copy(body.Buffer, body.Offset + 3, h.Cookie, 0, h.CookieLength);
            SendClientHello(s, h, now);
            return -1;
        }

        if (h.State == DtlsHandshake.ClientWaitHello && type == DtlsHandshakeType.ServerHello)
        {
            int alert = ServerHello(s, h, body);
            if (alert == 0)
            {
                h.Transcript.Add(type, seq, body);
                h.State = DtlsHandshake.ClientWaitHelloDone;
            }

            return alert;
        }

        if (h.State == DtlsHandshake.ClientWaitHelloDone && type == DtlsHandshakeType.ServerKeyExchange)
        {
            // RFC 4279 §2: psk_identity_hint<0..2^16-1>; the hint is not used to choose the key.
            if (body.Count < 2 || DtlsWire.Read16(body.Buffer, body.Offset) != body.Count - 2)
            {
                return DtlsAlert.DecodeError;
            }

            h.Transcript.Add(type, seq, body);
            return 0;
        }

        if (h.State == DtlsHandshake.ClientWaitHelloDone && type == DtlsHandshakeType.ServerHelloDone)
        {
            if (body.Count != 0)
            {
                return DtlsAlert.DecodeError;
            }

            h.Transcript.Add(type, seq, body);
            h.PeerFlightEnd = seq;
            SendClientKeyExchange(s, h, now);
            return 0;
        }

        if (h.State == DtlsHandshake.ClientWaitFinished && type == DtlsHandshakeType.Finished)
        {
            h.Transcript.Current(h.Hash, 0);
            DtlsKeySchedule.VerifyData(_prf, s.Secrets, false, ByteRange.Of(h.Hash), _verify, 0);
            bool ok = body.Count == DtlsKeySchedule.VerifyDataLength && CryptoBytes.FixedTimeEquals(_verify, 0, body.Buffer, body.Offset, DtlsKeySchedule.VerifyDataLength);
            Array.Clear(_verify, 0, _verify.Length);
            if (!ok)
            {
                return DtlsAlert.DecryptError;
            }

            Established(s, h);
            return -1;
        }

        return DtlsAlert.UnexpectedMessage;
    }

    /// <summary>Checks a ServerHello (RFC 5246 §7.4.1.3) against what we offered; returns an alert or 0.</summary>
    private int ServerHello(DtlsSession s, DtlsHandshake h, ByteRange body)
    {
        byte[] b = body.Buffer;
        int p = body.Offset;
        int end = p + body.Count;
        if (body.Count < 38 || b[p + 34] > 32 || end - p < 38 + b[p + 34])
        {
            return DtlsAlert.DecodeError;
        }

        if (DtlsWire.Read16(b, p) != DtlsWire.Version12)
        {
            return DtlsAlert.ProtocolVersion;
        }

        Array.Copy(b, p + 2, s.Secrets, DtlsSession.ServerRandom, 32);
        p += 35 + b[p + 34];
        int suite = DtlsWire.Read16(b, p);
        if (!Offered(suite) || b[p + 2] != 0)
        {
            return DtlsAlert.IllegalParameter;
        }

        p += 3;
        bool extendedMasterSecret = false;
        if (p < end)
        {
            if (end - p < 2 || DtlsWire.Read16(b, p) != end - p - 2)
            {
                return DtlsAlert.DecodeError;
            }

            for (p += 2; p < end;)
            {
                int length = end - p < 4 ? -1 : DtlsWire.Read16(b, p + 2);
                if (length < 0 || end - p - 4 < length)
                {
                    return DtlsAlert.DecodeError;
                }

                int type = DtlsWire.Read16(b, p);
                extendedMasterSecret |= type == DtlsClientHello.ExtendedMasterSecretExtension && length == 0;
                if (type == DtlsClientHello.RenegotiationInfoExtension && (length != 1 || b[p + 4] != 0))
                {
                    // RFC 5746 §3.4: a non-empty renegotiated_connection on an initial handshake is fatal.
                    return DtlsAlert.HandshakeFailure;
                }

                p += 4 + length;
            }
        }

        // RFC 7627 §5.3: this client requires the extended master secret.
        if (!extendedMasterSecret)
        {
            return DtlsAlert.HandshakeFailure;
        }

        h.Suite = suite;
        s.TagSize = DtlsCipherSuite.TagSize(suite);
        return 0;
    }

    private bool Offered(int suite)
    {
        int[] suites = _settings.CipherSuites;
        for (int i = 0; i < suites.Length; i++)
        {
            if (suites[i] == suite)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Flight 5: ClientKeyExchange with the identity, ChangeCipherSpec, Finished (RFC 6347 §4.2.4 Figure 1).</summary>
    private void SendClientKeyExchange(DtlsSession s, DtlsHandshake h, long now)
    {
        DtlsFlight f = h.Flight;
        f.Clear();
        byte[] d = f.Data;
        int seq = h.NextSendSeq++;
        int p = f.BeginMessage(0, DtlsHandshakeType.ClientKeyExchange, seq);
        DtlsWire.Write16(d, p, h.IdentityLength);
        Array.Copy(h.Identity, 0, d, p + 2, h.IdentityLength);
        f.EndMessage(p + 2 + h.IdentityLength);
        h.Transcript.Add(DtlsHandshakeType.ClientKeyExchange, seq, new ByteRange(d, p, 2 + h.IdentityLength));
        DeriveSessionKeys(s, h, h.PskLength);

        f.AddChangeCipherSpec();
        h.Transcript.Current(h.Hash, 0);
        seq = h.NextSendSeq++;
        p = f.BeginMessage(1, DtlsHandshakeType.Finished, seq);
        DtlsKeySchedule.VerifyData(_prf, s.Secrets, true, ByteRange.Of(h.Hash), d, p);
        f.EndMessage(p + DtlsKeySchedule.VerifyDataLength);
        h.Transcript.Add(DtlsHandshakeType.Finished, seq, new ByteRange(d, p, DtlsKeySchedule.VerifyDataLength));
        h.State = DtlsHandshake.ClientWaitChangeCipherSpec;
        h.RetransmitInterval = _settings.InitialRetransmitMs;
        h.RetransmitAt = now + h.RetransmitInterval;
        SendFlight(s, h);
    }

    /// <summary>
    /// The premaster secret from the PSK (RFC 4279 §2), the extended master secret over the transcript so far
    /// (RFC 7627 §4: up to and including ClientKeyExchange) and the key block; the PSK and premaster are erased.
    /// </summary>
    private void DeriveSessionKeys(DtlsSession s, DtlsHandshake h, int pskLength)
    {
        h.Transcript.Current(h.Hash, 0);
        int n = DtlsKeySchedule.WritePremaster(new ByteRange(h.Psk, 0, pskLength), _premaster, 0);
        DtlsKeySchedule.DeriveKeys(_prf, new ByteRange(_premaster, 0, n), ByteRange.Of(h.Hash), s.Secrets);
        Array.Clear(_premaster, 0, n);
        Array.Clear(h.Psk, 0, h.Psk.Length);
        h.PskLength = 0;
    }

    private void Established(DtlsSession s, DtlsHandshake h)
    {
        s.WriteEpoch = 1;
        s.State = DtlsSession.Established;
        s.Handshake = -1;
        h.Release();
        _listener.OnConnected(s.Peer);
    }

    private void Bind(DtlsSession s, DtlsHandshake h, int peer, long now)
    {
        s.Erase();
        s.Peer = peer;
        s.State = DtlsSession.Handshaking;
        s.LastUsed = now;
        h.InUse = true;
        h.NextSendSeq = 0;
        for (int i = 0; i < _sessions.Length; i++)
        {
            if (_sessions[i] == s)
            {
                h.Session = i;
            }
        }

        for (int i = 0; i < _handshakes.Length; i++)
        {
            if (_handshakes[i] == h)
            {
                s.Handshake = i;
            }
        }
    }

    private void StartTimers(DtlsHandshake h, long now)
    {
        h.RetransmitInterval = _settings.InitialRetransmitMs;
        h.RetransmitAt = now + h.RetransmitInterval;
        h.TimeoutAt = now + _settings.HandshakeTimeoutMs;
    }

    private DtlsHandshake FreeHandshake()
    {
        for (int i = 0; i < _handshakes.Length; i++)
        {
            if (!_handshakes[i].InUse)
            {
                return _handshakes[i];
            }
        }

        return null;
    }

    /// <summary>A free session slot, or the least recently used established one, evicted (docs/dtls.md, "Table").</summary>
    private DtlsSession FreeSession(long now)
    {
        DtlsSession oldest = null;
        for (int i = 0; i < _sessions.Length; i++)
        {
            DtlsSession s = _sessions[i];
            if (s.State == DtlsSession.Free)
            {
                return s;
            }

            if (s.State == DtlsSession.Established && (oldest == null || s.LastUsed < oldest.LastUsed) && (EvictionPolicy == null || EvictionPolicy.MayEvict(s.Peer, now)))
            {
                oldest = s;
            }
        }

        if (oldest != null)
        {
            Drop(oldest, DtlsAlert.Evicted);
        }

        return oldest;
    }
}
