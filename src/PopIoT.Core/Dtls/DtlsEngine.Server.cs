using System;

using PopIoT.Core.Crypto;

namespace PopIoT.Core.Dtls;

/// <summary>The server's side of the PSK handshake (RFC 6347 §4.2.1, RFC 4279 §2, RFC 7627, RFC 5746).</summary>
public sealed partial class DtlsEngine
{
    /// <summary>
    /// A ClientHello from a peer with no session. Until its cookie verifies nothing is stored: the answer is a
    /// HelloVerifyRequest (RFC 6347 §4.2.1). Only then do a session slot and a handshake entry get taken.
    /// </summary>
    private void ClientHelloWithoutSession(ByteRange record, int peer, ByteRange address, long now)
    {
        byte[] b = record.Buffer;
        int at = record.Offset + DtlsWire.RecordHeaderLength;
        int count = record.Count - DtlsWire.RecordHeaderLength;
        long recordSequence = DtlsWire.Read48(b, record.Offset + 5);

        // The ClientHello must come whole in one record: reassembling it would need state before the cookie.
        if (count < DtlsWire.HandshakeHeaderLength || b[at] != DtlsHandshakeType.ClientHello
            || DtlsWire.Read24(b, at + 1) != count - DtlsWire.HandshakeHeaderLength || DtlsWire.Read24(b, at + 6) != 0
            || DtlsWire.Read24(b, at + 9) != count - DtlsWire.HandshakeHeaderLength)
        {
            RecordsDropped++;
            return;
        }

        int messageSeq = DtlsWire.Read16(b, at + 4);
        ByteRange body = new ByteRange(b, at + DtlsWire.HandshakeHeaderLength, count - DtlsWire.HandshakeHeaderLength);
        DtlsClientHello hello;
        if (!DtlsClientHello.Parse(body, out hello) || (hello.Version >> 8) != 0xFE)
        {
            RecordsDropped++;
            return;
        }

        DtlsCookieInput input = new DtlsCookieInput();
        input.Address = address;
        input.Peer = peer;
        input.BeforeCookie = new ByteRange(b, body.Offset, hello.CookieLengthAt - body.Offset);
        input.AfterCookie = new ByteRange(b, hello.SuitesAt - 2, body.Offset + body.Count - hello.SuitesAt + 2);
        if (!_cookie.Verify(input, new ByteRange(b, hello.CookieAt, hello.CookieLength), now))
        {
            SendHelloVerifyRequest(input, peer, messageSeq, recordSequence, now);
            return;
        }

        int suite;
        int alert = Negotiate(b, hello, out suite);
        if (alert != 0)
        {
            SendStatelessAlert(peer, recordSequence, alert);
            return;
        }

        StartServerHandshake(record, body, hello, suite, peer, now);
    }

    private void SendHelloVerifyRequest(DtlsCookieInput input, int peer, int messageSeq, long recordSequence, long now)
    {
        // RFC 6347 §4.2.1: server_version DTLS 1.0, the cookie; message_seq and record sequence as in the ClientHello.
        int bodyAt = DtlsWire.HandshakeHeaderLength;
        DtlsWire.Write16(_plain, bodyAt, DtlsWire.Version10);
        _plain[bodyAt + 2] = DtlsCookie.Length;
        _cookie.Write(input, _plain, bodyAt + 3, now);
        int bodyLength = 3 + DtlsCookie.Length;
        DtlsWire.WriteHandshakeHeader(_plain, 0, DtlsHandshakeType.HelloVerifyRequest, bodyLength, messageSeq, 0, bodyLength);
        SendStateless(peer, recordSequence, DtlsContentType.Handshake, new ByteRange(_plain, 0, bodyAt + bodyLength), DtlsWire.Version10);
        CookiesSent++;
    }

    /// <summary>Checks a cookie-verified ClientHello and picks the suite; returns the alert to send, or 0.</summary>
    private int Negotiate(byte[] b, DtlsClientHello hello, out int suite)
    {
        suite = 0;
        // RFC 6347 §4.1: a client_version of DTLS 1.0 (above 1.2 as a number) cannot do DTLS 1.2.
        if (hello.Version > DtlsWire.Version12)
        {
            return DtlsAlert.ProtocolVersion;
        }

        // RFC 7627 §5.3: this server requires the extended master secret; RFC 5746 §3.6 for renegotiation_info.
        if (!hello.NullCompression || !hello.ExtendedMasterSecret || hello.BadRenegotiationInfo)
        {
            return DtlsAlert.HandshakeFailure;
        }

        int[] suites = _settings.CipherSuites;
        for (int i = 0; i < suites.Length; i++)
        {
            if (hello.Offers(b, suites[i]))
            {
                suite = suites[i];
                return 0;
            }
        }

        return DtlsAlert.HandshakeFailure;
    }

    private void StartServerHandshake(ByteRange record, ByteRange body, DtlsClientHello hello, int suite, int peer, long now)
    {
        byte[] b = record.Buffer;
        DtlsSession old = Find(peer);
        if (old != null && CryptoBytes.FixedTimeEquals(b, hello.RandomAt, old.Secrets, DtlsSession.ClientRandom, 32))
        {
            // A late copy of the ClientHello that began this association, not a new one (RFC 6347 §4.2.8).
            RecordsDropped++;
            return;
        }

        DtlsHandshake h = FreeHandshake();
        DtlsSession s = h == null ? null : old != null ? old : FreeSession(now);
        if (h == null || s == null)
        {
            // The cap on half-open handshakes (docs/dtls.md): the client retries with its retransmission.
            HandshakesRefused++;
            return;
        }

        if (old != null)
        {
            // RFC 6347 §4.2.8: a verified new ClientHello from the peer of an old association replaces it.
            Drop(old, DtlsAlert.CloseNotify);
        }

        int messageSeq = DtlsWire.Read16(b, record.Offset + DtlsWire.RecordHeaderLength + 4);
        Bind(s, h, peer, now);
        s.IsClient = false;
        h.Suite = suite;
        s.TagSize = DtlsCipherSuite.TagSize(h.Suite);
        h.SecureRenegotiation = hello.SecureRenegotiation;
        Array.Copy(b, hello.RandomAt, s.Secrets, DtlsSession.ClientRandom, 32);
        _random.GetBytes(s.Secrets, DtlsSession.ServerRandom, 32);
        h.Transcript.Reset();
        h.Transcript.Add(DtlsHandshakeType.ClientHello, messageSeq, body);

        // RFC 6347 §4.2.2: the server's messages continue from the ClientHello's message_seq.
        h.NextSendSeq = messageSeq;
        h.Reassembler.Reset(messageSeq + 1);
        h.PeerFlightEnd = messageSeq;
        h.Epoch0Sequence = DtlsWire.Read48(b, record.Offset + 5) + 1;
        BuildServerHelloFlight(s, h);
        h.State = DtlsHandshake.ServerWaitKeyExchange;
        StartTimers(h, now);
        SendFlight(s, h);
    }

    private void BuildServerHelloFlight(DtlsSession s, DtlsHandshake h)
    {
        DtlsFlight f = h.Flight;
        f.Clear();
        byte[] d = f.Data;

        // ServerHello (RFC 5246 §7.4.1.3): version, random, empty session_id (no resumption), suite, null compression, extensions.
        int p = f.BeginMessage(0, DtlsHandshakeType.ServerHello, h.NextSendSeq++);
        DtlsWire.Write16(d, p, DtlsWire.Version12);
        Array.Copy(s.Secrets, DtlsSession.ServerRandom, d, p + 2, 32);
        d[p + 34] = 0;
        DtlsWire.Write16(d, p + 35, h.Suite);
        d[p + 37] = 0;
        int extensions = p + 38;
        int e = extensions + 2;
        DtlsWire.Write16(d, e, DtlsClientHello.ExtendedMasterSecretExtension);
        DtlsWire.Write16(d, e + 2, 0);
        e += 4;
        if (h.SecureRenegotiation)
        {
            // RFC 5746 §3.6: an empty renegotiation_info tells the client we support secure renegotiation (and refuse it).
            DtlsWire.Write16(d, e, DtlsClientHello.RenegotiationInfoExtension);
            DtlsWire.Write16(d, e + 2, 1);
            d[e + 4] = 0;
            e += 5;
        }

        DtlsWire.Write16(d, extensions, e - extensions - 2);
        f.EndMessage(e);
        AddLastToTranscript(h, DtlsHandshakeType.ServerHello);

        byte[] hint = _settings.IdentityHint;
        if (hint != null)
        {
            // RFC 4279 §2: ServerKeyExchange only to carry a configured psk_identity_hint.
            p = f.BeginMessage(0, DtlsHandshakeType.ServerKeyExchange, h.NextSendSeq++);
            DtlsWire.Write16(d, p, hint.Length);
            Array.Copy(hint, 0, d, p + 2, hint.Length);
            f.EndMessage(p + 2 + hint.Length);
            AddLastToTranscript(h, DtlsHandshakeType.ServerKeyExchange);
        }

        p = f.BeginMessage(0, DtlsHandshakeType.ServerHelloDone, h.NextSendSeq++);
        f.EndMessage(p);
        AddLastToTranscript(h, DtlsHandshakeType.ServerHelloDone);
    }

    /// <summary>One whole handshake message from the client, in order; returns an alert, 0 to go on, −1 when handled otherwise.</summary>
    private int ServerMessage(DtlsSession s, DtlsHandshake h, int type, int seq, ByteRange body, long now)
    {
        if (h.State == DtlsHandshake.ServerWaitKeyExchange && type == DtlsHandshakeType.ClientKeyExchange)
        {
            return ServerKeyExchange(s, h, seq, body);
        }

        if (h.State == DtlsHandshake.ServerWaitFinished && type == DtlsHandshakeType.Finished)
        {
            return ServerFinished(s, h, seq, body);
        }

        return DtlsAlert.UnexpectedMessage;
    }

    private int ServerKeyExchange(DtlsSession s, DtlsHandshake h, int seq, ByteRange body)
    {
        // RFC 4279 §2: opaque psk_identity<0..2^16-1>, kept as bytes with their length (RFC 4279 §5.1 allows any octets here).
        if (body.Count < 2 || DtlsWire.Read16(body.Buffer, body.Offset) != body.Count - 2)
        {
            return DtlsAlert.DecodeError;
        }

        ByteRange identity = body.Slice(2, body.Count - 2);
        if (identity.Count == 0 || identity.Count > _settings.MaxIdentityLength)
        {
            return DtlsAlert.IllegalParameter;
        }

        int n = _pskStore.FindKey(s.Peer, identity, new ByteRange(h.Psk, 0, h.Psk.Length));
        if (n <= 0 || n > h.Psk.Length)
        {
            Array.Clear(h.Psk, 0, h.Psk.Length);
            return n == 0 ? DtlsAlert.UnknownPskIdentity : n < 0 ? -n : DtlsAlert.InternalError;
        }

        h.Transcript.Add(DtlsHandshakeType.ClientKeyExchange, seq, body);
        DeriveSessionKeys(s, h, n);

        // The client has our flight: stop resending it; from here the client's retransmissions drive ours.
        h.RetransmitAt = 0;
        h.PeerFlightEnd = seq + 1;
        h.State = DtlsHandshake.ServerWaitChangeCipherSpec;
        return 0;
    }

    private int ServerFinished(DtlsSession s, DtlsHandshake h, int seq, ByteRange body)
    {
        // RFC 5246 §7.4.9: verify_data over every message before this Finished.
        h.Transcript.Current(h.Hash, 0);
        DtlsKeySchedule.VerifyData(_prf, s.Secrets, true, ByteRange.Of(h.Hash), _verify, 0);
        bool ok = body.Count == DtlsKeySchedule.VerifyDataLength && CryptoBytes.FixedTimeEquals(_verify, 0, body.Buffer, body.Offset, DtlsKeySchedule.VerifyDataLength);
        Array.Clear(_verify, 0, _verify.Length);
        if (!ok)
        {
            return DtlsAlert.DecryptError;
        }

        h.Transcript.Add(DtlsHandshakeType.Finished, seq, body);
        h.Transcript.Current(h.Hash, 0);
        DtlsKeySchedule.VerifyData(_prf, s.Secrets, false, ByteRange.Of(h.Hash), s.Secrets, DtlsSession.ServerVerifyData);
        DtlsFlight f = h.Flight;
        f.Clear();
        f.AddChangeCipherSpec();
        int finishedSeq = h.NextSendSeq++;
        int p = f.BeginMessage(1, DtlsHandshakeType.Finished, finishedSeq);
        Array.Copy(s.Secrets, DtlsSession.ServerVerifyData, f.Data, p, DtlsKeySchedule.VerifyDataLength);
        f.EndMessage(p + DtlsKeySchedule.VerifyDataLength);
        SendFlight(s, h);
        DtlsWire.Write16(s.Secrets, DtlsSession.ResendMessageSeq, finishedSeq);
        DtlsWire.Write48(s.Secrets, DtlsSession.ResendSequence, h.Epoch0Sequence);
        Established(s, h);
        return -1;
    }

    private void AddLastToTranscript(DtlsHandshake h, int type)
    {
        // The entry just closed is the last one in the flight: its body is the last bytes written.
        byte[] d = h.Flight.Data;
        int end = h.Flight.Length;
        int start = FindLastEntry(h.Flight);
        int length = DtlsWire.Read16(d, start + 5);
        h.Transcript.Add(type, DtlsWire.Read16(d, start + 3), new ByteRange(d, end - length, length));
    }

    private static int FindLastEntry(DtlsFlight f)
    {
        int p = 0;
        int last = 0;
        while (p < f.Length)
        {
            last = p;
            p += DtlsFlight.EntryHeader + DtlsWire.Read16(f.Data, p + 5);
        }

        return last;
    }
}
