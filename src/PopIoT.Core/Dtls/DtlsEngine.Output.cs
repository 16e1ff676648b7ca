using System;

namespace PopIoT.Core.Dtls;

/// <summary>What the engine sends: flights fragmented to the datagram size, alerts and stateless replies (RFC 6347 §4.2.3, §4.2.4).</summary>
public sealed partial class DtlsEngine
{
    // Below this much room a datagram is sent rather than filled with a small fragment.
    private const int MinFragment = 64;

    /// <summary>Writes the handshake's current flight as records packed into datagrams of at most the datagram size.</summary>
    private void SendFlight(DtlsSession s, DtlsHandshake h)
    {
        byte[] f = h.Flight.Data;
        int p = 0;
        int used = 0;
        while (p < h.Flight.Length)
        {
            int epoch = f[p];
            int contentType = f[p + 1];
            int type = f[p + 2];
            int seq = DtlsWire.Read16(f, p + 3);
            int length = DtlsWire.Read16(f, p + 5);
            int body = p + DtlsFlight.EntryHeader;
            p = body + length;
            if (contentType == DtlsContentType.ChangeCipherSpec)
            {
                // RFC 5246 §7.1: a single byte of value 1, in the epoch before the change.
                if (_settings.DatagramSize - used < DtlsRecordLayer.Overhead(0, 0) + 1)
                {
                    used = Flush(s.Peer, used);
                }

                _plain[0] = 1;
                used += WriteAt(s, h, 0, DtlsContentType.ChangeCipherSpec, new ByteRange(_plain, 0, 1), used);
                continue;
            }

            int done = 0;
            do
            {
                int overhead = DtlsRecordLayer.Overhead(epoch, s.TagSize) + DtlsWire.HandshakeHeaderLength;
                int room = _settings.DatagramSize - used - overhead;
                if (room < length - done && room < MinFragment && used > 0)
                {
                    used = Flush(s.Peer, used);
                    room = _settings.DatagramSize - overhead;
                }

                // RFC 6347 §4.2.3: a message larger than the room left is sent in fragments, each in its own record.
                int n = length - done < room ? length - done : room;
                DtlsWire.WriteHandshakeHeader(_plain, 0, type, length, seq, done, n);
                Array.Copy(f, body + done, _plain, DtlsWire.HandshakeHeaderLength, n);
                used += WriteAt(s, h, epoch, DtlsContentType.Handshake, new ByteRange(_plain, 0, DtlsWire.HandshakeHeaderLength + n), used);
                done += n;
            }
            while (done < length);
        }

        Flush(s.Peer, used);
    }

    /// <summary>Writes one record in the given epoch: epoch 0 with the handshake's own sequence numbers, epoch 1 with the session's.</summary>
    private int WriteAt(DtlsSession s, DtlsHandshake h, int epoch, int type, ByteRange fragment, int used)
    {
        if (epoch != 0)
        {
            s.WriteEpoch = epoch;
            return Math0(_records.Write(s, type, fragment, _datagram, used));
        }

        int savedEpoch = s.WriteEpoch;
        long savedSequence = s.WriteSequence;
        s.WriteEpoch = 0;
        s.WriteSequence = h.Epoch0Sequence;
        int n = _records.Write(s, type, fragment, _datagram, used);
        h.Epoch0Sequence = s.WriteSequence;
        s.WriteEpoch = savedEpoch;
        s.WriteSequence = savedSequence;
        return Math0(n);
    }

    private static int Math0(int n)
    {
        return n < 0 ? 0 : n;
    }

    private int Flush(int peer, int used)
    {
        if (used > 0)
        {
            _outbox.Enqueue(peer, _datagram, 0, used);
        }

        return 0;
    }

    /// <summary>Sends an alert (RFC 5246 §7.2): protected on an established session, otherwise in epoch 0.</summary>
    private void SendAlert(DtlsSession s, int level, int description)
    {
        _plain[0] = (byte)level;
        _plain[1] = (byte)description;
        ByteRange alert = new ByteRange(_plain, 0, 2);
        int n;
        if (s.State == DtlsSession.Established)
        {
            n = Math0(_records.Write(s, DtlsContentType.Alert, alert, _datagram, 0));
        }
        else if (s.Handshake >= 0)
        {
            n = WriteAt(s, _handshakes[s.Handshake], 0, DtlsContentType.Alert, alert, 0);
        }
        else
        {
            return;
        }

        Flush(s.Peer, n);
    }

    /// <summary>
    /// Sends a record to a peer that has no session, with the sequence number of the record it answers
    /// (RFC 6347 §4.2.1); nothing about the peer is kept.
    /// </summary>
    private void SendStateless(int peer, long sequence, int type, ByteRange fragment, int version)
    {
        _stateless.Erase();
        _stateless.WriteSequence = sequence;
        int n = Math0(_records.Write(_stateless, type, fragment, _datagram, 0));
        DtlsWire.Write16(_datagram, 1, version);
        _stateless.Erase();
        Flush(peer, n);
    }

    /// <summary>A fatal alert to a peer that has no session.</summary>
    private void SendStatelessAlert(int peer, long sequence, int description)
    {
        _plain[0] = DtlsAlert.Fatal;
        _plain[1] = (byte)description;
        SendStateless(peer, sequence, DtlsContentType.Alert, new ByteRange(_plain, 0, 2), DtlsWire.Version12);
    }

    /// <summary>
    /// A handshake record for a session whose own handshake is over: the client repeating its last flight (our
    /// ChangeCipherSpec and Finished were lost, RFC 6347 §4.2.4), or an attempt to renegotiate (refused, RFC 5746 §4.2).
    /// </summary>
    private void PeerRepeatedFlight(DtlsSession s, bool authenticated, ByteRange plain)
    {
        int type = plain.Count >= DtlsWire.HandshakeHeaderLength ? plain[0] : -1;
        if (authenticated && s.State == DtlsSession.Established && !s.IsClient && type == DtlsHandshakeType.Finished
            && DtlsWire.Read16(s.Secrets, DtlsSession.ResendMessageSeq) != DtlsSession.NoResend)
        {
            ResendServerFinished(s);
            return;
        }

        bool renegotiation = s.IsClient ? type == 0 : type == DtlsHandshakeType.ClientHello;
        if (authenticated && s.State == DtlsSession.Established && renegotiation)
        {
            SendAlert(s, DtlsAlert.Warning, DtlsAlert.NoRenegotiation);
            return;
        }

        RecordsDropped++;
    }

    /// <summary>The server's last flight again, from the verify_data kept in the session: ChangeCipherSpec and Finished.</summary>
    private void ResendServerFinished(DtlsSession s)
    {
        int messageSeq = DtlsWire.Read16(s.Secrets, DtlsSession.ResendMessageSeq);
        s.WriteEpoch = 0;
        long epoch1Sequence = s.WriteSequence;
        s.WriteSequence = DtlsWire.Read48(s.Secrets, DtlsSession.ResendSequence);
        _plain[0] = 1;
        int used = Math0(_records.Write(s, DtlsContentType.ChangeCipherSpec, new ByteRange(_plain, 0, 1), _datagram, 0));
        DtlsWire.Write48(s.Secrets, DtlsSession.ResendSequence, s.WriteSequence);
        s.WriteEpoch = 1;
        s.WriteSequence = epoch1Sequence;
        DtlsWire.WriteHandshakeHeader(_plain, 0, DtlsHandshakeType.Finished, DtlsKeySchedule.VerifyDataLength, messageSeq, 0, DtlsKeySchedule.VerifyDataLength);
        Array.Copy(s.Secrets, DtlsSession.ServerVerifyData, _plain, DtlsWire.HandshakeHeaderLength, DtlsKeySchedule.VerifyDataLength);
        used += Math0(_records.Write(s, DtlsContentType.Handshake, new ByteRange(_plain, 0, DtlsWire.HandshakeHeaderLength + DtlsKeySchedule.VerifyDataLength), _datagram, used));
        Flush(s.Peer, used);
    }
}
