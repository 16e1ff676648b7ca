using System;

namespace PopIoT.Core.Dtls;

/// <summary>Record dispatch: what a received datagram does (RFC 6347 §4.1, §4.1.2.7).</summary>
public sealed partial class DtlsEngine
{
    /// <summary>
    /// Processes one received datagram, which may carry several records (RFC 6347 §4.1.1). Never throws for any content;
    /// bad records are dropped and counted. Replies and flights are queued in the outbox.
    /// </summary>
    /// <param name="datagram">The datagram (read during this call only).</param>
    /// <param name="peer">The host's index for the sender (0 or more).</param>
    /// <param name="address">The sender's address bytes, which the cookie covers; empty to let the peer index stand in.</param>
    /// <param name="now">The current monotonic time in milliseconds.</param>
    public void Receive(ByteRange datagram, int peer, ByteRange address, long now)
    {
        byte[] b = datagram.Buffer;
        int at = datagram.Offset;
        int end = datagram.Offset + datagram.Count;
        while (end - at >= DtlsWire.RecordHeaderLength)
        {
            int length = DtlsWire.Read16(b, at + 11);
            if (length > end - at - DtlsWire.RecordHeaderLength)
            {
                // RFC 6347 §4.1.2.7: a record longer than the datagram is invalid; the rest of the datagram goes with it.
                RecordsDropped++;
                return;
            }

            Record(new ByteRange(b, at, DtlsWire.RecordHeaderLength + length), peer, address, now);
            at += DtlsWire.RecordHeaderLength + length;
        }

        if (at != end)
        {
            RecordsDropped++;
        }
    }

    /// <summary>Runs timers: retransmits flights whose timer expired and abandons handshakes past their timeout.</summary>
    /// <param name="now">The current monotonic time in milliseconds.</param>
    public void Poll(long now)
    {
        for (int i = 0; i < _handshakes.Length; i++)
        {
            DtlsHandshake h = _handshakes[i];
            if (!h.InUse)
            {
                continue;
            }

            DtlsSession s = _sessions[h.Session];
            if (now >= h.TimeoutAt)
            {
                Drop(s, DtlsAlert.Timeout);
            }
            else if (h.RetransmitAt != 0 && now >= h.RetransmitAt)
            {
                // RFC 6347 §4.2.4.1: resend the flight and double the timer, up to the maximum.
                SendFlight(s, h);
                int next = h.RetransmitInterval * 2;
                h.RetransmitInterval = next > _settings.MaxRetransmitMs || next < 0 ? _settings.MaxRetransmitMs : next;
                h.RetransmitAt = now + h.RetransmitInterval;
            }
        }
    }

    private void Record(ByteRange record, int peer, ByteRange address, long now)
    {
        byte[] b = record.Buffer;
        int at = record.Offset;
        int type = b[at];
        int version = DtlsWire.Read16(b, at + 1);
        int epoch = DtlsWire.Read16(b, at + 3);
        if ((version >> 8) != 0xFE)
        {
            RecordsDropped++;
            return;
        }

        DtlsSession s = Find(peer);
        if (s == null || (s.State == DtlsSession.Established && epoch == 0 && type == DtlsContentType.Handshake && IsClientHello(record)))
        {
            // No state for this peer (or a fresh ClientHello over an old association, RFC 6347 §4.2.8): the cookie decides.
            if (epoch == 0 && type == DtlsContentType.Handshake && _pskStore != null)
            {
                ClientHelloWithoutSession(record, peer, address, now);
            }
            else
            {
                RecordsDropped++;
            }

            return;
        }

        if (epoch != s.ReadEpoch)
        {
            // An older epoch: the peer repeats its last flight because ours was lost (RFC 6347 §4.2.4).
            if (epoch + 1 == s.ReadEpoch && type == DtlsContentType.Handshake)
            {
                PeerRepeatedFlight(s, false, record.Slice(DtlsWire.RecordHeaderLength, record.Count - DtlsWire.RecordHeaderLength));
            }
            else
            {
                RecordsDropped++;
            }

            return;
        }

        ByteRange plain;
        if (epoch == 0)
        {
            plain = record.Slice(DtlsWire.RecordHeaderLength, record.Count - DtlsWire.RecordHeaderLength);
        }
        else
        {
            int n = _records.Open(s, record, _plain, 0);
            if (n < 0)
            {
                return;
            }

            plain = new ByteRange(_plain, 0, n);
        }

        s.LastUsed = now;
        if (type == DtlsContentType.ApplicationData)
        {
            ApplicationData(s, epoch, plain);
        }
        else if (type == DtlsContentType.Handshake)
        {
            HandshakeRecord(s, plain, now);
        }
        else if (type == DtlsContentType.ChangeCipherSpec)
        {
            ChangeCipherSpec(s, plain);
        }
        else if (type == DtlsContentType.Alert)
        {
            AlertRecord(s, epoch, plain);
        }
        else
        {
            RecordsDropped++;
        }
    }

    private void ApplicationData(DtlsSession s, int epoch, ByteRange plain)
    {
        // RFC 5246 §7.4.9: no application data before the Finished messages; never in the clear.
        if (s.State != DtlsSession.Established || epoch == 0)
        {
            RecordsDropped++;
            return;
        }

        // The client's data shows it has our Finished: its last flight will not come again.
        DtlsWire.Write16(s.Secrets, DtlsSession.ResendMessageSeq, DtlsSession.NoResend);
        _listener.OnApplicationData(s.Peer, plain);
    }

    private void AlertRecord(DtlsSession s, int epoch, ByteRange plain)
    {
        if (plain.Count != 2)
        {
            RecordsDropped++;
            return;
        }

        int level = plain[0];
        int description = plain[1];
        if (s.State == DtlsSession.Established && epoch == 0)
        {
            // An unprotected alert cannot end a protected session: anyone could have sent it.
            RecordsDropped++;
            return;
        }

        if (description == DtlsAlert.CloseNotify)
        {
            // RFC 5246 §7.2.1: answer close_notify with close_notify and discard the session.
            SendAlert(s, DtlsAlert.Warning, DtlsAlert.CloseNotify);
            Drop(s, DtlsAlert.CloseNotify);
        }
        else if (level == DtlsAlert.Fatal)
        {
            Drop(s, description);
        }
    }

    private void ChangeCipherSpec(DtlsSession s, ByteRange plain)
    {
        DtlsHandshake h = s.Handshake >= 0 ? _handshakes[s.Handshake] : null;
        bool expected = h != null && (h.State == DtlsHandshake.ServerWaitChangeCipherSpec || h.State == DtlsHandshake.ClientWaitChangeCipherSpec);
        if (!expected || plain.Count != 1 || plain[0] != 1)
        {
            // A CCS out of turn (a lost message before it, or a repeat): the retransmission brings it again in order.
            RecordsDropped++;
            return;
        }

        // RFC 5246 §7.1, RFC 6347 §4.1: the next epoch begins with a fresh window; no early message crosses it.
        s.ReadEpoch = 1;
        s.Window.Reset();
        h.Reassembler.DropQueued();
        h.State = h.State == DtlsHandshake.ServerWaitChangeCipherSpec ? DtlsHandshake.ServerWaitFinished : DtlsHandshake.ClientWaitFinished;
    }

    private void HandshakeRecord(DtlsSession s, ByteRange plain, long now)
    {
        if (s.Handshake < 0)
        {
            // After the handshake: the client repeating its last flight, or a renegotiation attempt.
            PeerRepeatedFlight(s, s.ReadEpoch != 0, plain);
            return;
        }

        DtlsHandshake h = _handshakes[s.Handshake];
        byte[] b = plain.Buffer;
        int at = plain.Offset;
        int end = plain.Offset + plain.Count;
        while (end - at >= DtlsWire.HandshakeHeaderLength)
        {
            int fragmentLength = DtlsWire.Read24(b, at + 9);
            if (fragmentLength > end - at - DtlsWire.HandshakeHeaderLength)
            {
                RecordsDropped++;
                return;
            }

            ByteRange header = new ByteRange(b, at, DtlsWire.HandshakeHeaderLength);
            ByteRange fragment = new ByteRange(b, at + DtlsWire.HandshakeHeaderLength, fragmentLength);
            at += DtlsWire.HandshakeHeaderLength + fragmentLength;
            int seq = DtlsWire.Read16(b, header.Offset + 4);
            int offered = h.Reassembler.Offer(header, fragment);
            if (offered == DtlsReassembler.Old)
            {
                if (seq == h.PeerFlightEnd)
                {
                    // RFC 6347 §4.2.4: the peer repeated its flight, so ours was lost; resend it now.
                    SendFlight(s, h);
                }

                continue;
            }

            if (offered == DtlsReassembler.Dropped)
            {
                RecordsDropped++;
                continue;
            }

            while (h.InUse && h.Reassembler.IsComplete)
            {
                int type = h.Reassembler.Type;
                int messageSeq = h.Reassembler.NextSeq;
                ByteRange body = h.Reassembler.Body;
                int alert = s.IsClient ? ClientMessage(s, h, type, messageSeq, body, now) : ServerMessage(s, h, type, messageSeq, body, now);
                if (alert > 0)
                {
                    SendAlert(s, DtlsAlert.Fatal, alert);
                    Drop(s, alert);
                    return;
                }

                if (!h.InUse || s.Handshake < 0)
                {
                    return;
                }

                if (alert == 0)
                {
                    h.Reassembler.Advance();
                }
            }

            if (!h.InUse)
            {
                return;
            }
        }

        if (at != end)
        {
            RecordsDropped++;
        }
    }

    private static bool IsClientHello(ByteRange record)
    {
        return record.Count > DtlsWire.RecordHeaderLength && record[DtlsWire.RecordHeaderLength] == DtlsHandshakeType.ClientHello;
    }
}
