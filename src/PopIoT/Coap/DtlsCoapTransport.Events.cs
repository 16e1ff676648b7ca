using System.Net;
using PopIoT.Core;
using PopIoT.Core.Dtls;

namespace PopIoT.Coap;

/// <summary>
/// What reaches a <see cref="DtlsCoapTransport"/> from below: the engine's events (RFC 6347 §4.2, RFC 5246 §10), the inner
/// transport's datagrams, wake-ups and unreachable reports, and how they are handed to the CoAP endpoint.
/// </summary>
public sealed partial class DtlsCoapTransport
{
    void IDtlsListener.OnConnected(int peer)
    {
        _peers.Claim(peer);
        _peers.CommitIdentity(peer);
        _peers.SetConnecting(peer, false);
        if (_options.Trace != null)
        {
            byte[]? identity = _peers.Identity(peer);
            _options.Trace("DTLS session with " + _peers.Address(peer) + " established: "
                + (_engine.CipherSuite(peer) == DtlsCipherSuite.PskAes128Ccm8 ? "TLS_PSK_WITH_AES_128_CCM_8" : "TLS_PSK_WITH_AES_128_CCM")
                + (identity != null ? ", identity " + IdentityText(identity) : string.Empty));
        }

        long now = _inner.NowMs;
        while (_peers.TryDequeue(peer, out byte[]? datagram))
        {
            _engine.Send(peer, ByteRange.Of(datagram), now);
        }
    }

    void IDtlsListener.OnApplicationData(int peer, ByteRange data)
    {
        IPEndPoint? source = _peers.Address(peer);
        if (source != null)
        {
            var copy = new byte[data.Count];
            Array.Copy(data.Buffer, data.Offset, copy, 0, data.Count);
            _received.Add((source, copy));
        }
    }

    void IDtlsListener.OnClosed(int peer, int alert)
    {
        bool waiting = _peers.IsConnecting(peer);
        bool heard = _peers.Heard(peer);
        _peers.Release(peer);
        if (waiting && !_disposed)
        {
            // RFC 6347 §4.1.2.7: a Finished under another key fails authentication and is dropped silently, so a wrong
            // PSK shows as a server that answered the first flights and then went quiet.
            Fail(peer, alert == DtlsAlert.Timeout && heard
                ? "the server answered but did not complete the handshake within " + DtlsAlertText.Seconds(_engine.Settings.HandshakeTimeoutMs) + " s: most likely a wrong PSK"
                : DtlsAlertText.Describe(alert, _engine.Settings.HandshakeTimeoutMs));
        }
        else
        {
            _options.Trace?.Invoke("DTLS session with " + _peers.Address(peer) + " ended: "
                + (_disposed ? "closed by this side (close_notify)" : DtlsAlertText.Describe(alert, _engine.Settings.HandshakeTimeoutMs)));
        }
    }

    // Identities are sent in the clear (RFC 4279 §2), so a trace may show them: as text when printable, else in hex.
    private static string IdentityText(byte[] identity)
    {
        foreach (byte b in identity)
        {
            if (b is < 0x20 or > 0x7e)
            {
                return DtlsPskTable.HexPrefix + Convert.ToHexStringLower(identity);
            }
        }

        return "\"" + System.Text.Encoding.ASCII.GetString(identity) + "\"";
    }

    private void Fail(int peer, string why)
    {
        _peers.SetConnecting(peer, false);
        _peers.ClearQueue(peer);
        IPEndPoint? destination = _peers.Address(peer);
        if (destination != null)
        {
            string reason = "DTLS handshake with " + destination + " failed: " + why;
            _options.Trace?.Invoke(reason);
            _failed.Add((destination, reason));
        }
    }

    private void OnDatagram(IPEndPoint source, ReadOnlySpan<byte> datagram)
    {
        (IPEndPoint, byte[])[] received;
        (IPEndPoint, string)[] failed;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            long now = _inner.NowMs;
            int p = _peers.Acquire(source, now, _engine);
            if (_peers.IsConnecting(p))
            {
                _peers.MarkHeard(p);
            }

            int n = Math.Min(datagram.Length, _in.Length);
            datagram[..n].CopyTo(_in);
            _engine.Receive(new ByteRange(_in, 0, n), p, ByteRange.Of(_peers.AddressBytes(p)), now);
            FlushLocked(now);
            received = TakeReceived();
            failed = TakeFailed();
        }

        Deliver(received, failed);
    }

    private void OnTimer()
    {
        (IPEndPoint, byte[])[] received;
        (IPEndPoint, string)[] failed;
        bool wake;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            long now = _inner.NowMs;
            if (now >= _engine.NextDeadline)
            {
                _engine.Poll(now);
            }

            wake = now >= _sinkWakeAt;
            if (wake)
            {
                _sinkWakeAt = long.MaxValue;
            }

            received = TakeReceived();
            failed = TakeFailed();
            FlushLocked(now);
        }

        Deliver(received, failed);
        if (wake)
        {
            _sink?.OnTimer();
        }
    }

    private void OnUnreachable(IPEndPoint destination, string reason)
    {
        (IPEndPoint, byte[])[] received;
        lock (_lock)
        {
            int p = _peers.Find(destination);
            if (p >= 0 && _peers.IsConnecting(p))
            {
                // The network says nobody listens: end the handshake now rather than at its timeout.
                _peers.SetConnecting(p, false);
                _peers.ClearQueue(p);
                _engine.Close(p, _inner.NowMs);
                FlushLocked(_inner.NowMs);
            }

            received = TakeReceived();
        }

        Deliver(received, []);
        _sink?.OnUnreachable(destination, reason);
    }

    private void Deliver((IPEndPoint Source, byte[] Data)[] received, (IPEndPoint Destination, string Reason)[] failed)
    {
        ICoapTransportSink? sink = _sink;
        if (sink == null)
        {
            return;
        }

        foreach ((IPEndPoint source, byte[] data) in received)
        {
            sink.OnDatagram(source, data);
        }

        foreach ((IPEndPoint destination, string reason) in failed)
        {
            sink.OnUnreachable(destination, reason);
        }
    }

    private (IPEndPoint, byte[])[] TakeReceived()
    {
        if (_received.Count == 0)
        {
            return [];
        }

        var all = _received.ToArray();
        _received.Clear();
        return all;
    }

    private (IPEndPoint, string)[] TakeFailed()
    {
        if (_failed.Count == 0)
        {
            return [];
        }

        var all = _failed.ToArray();
        _failed.Clear();
        return all;
    }

    /// <summary>Sends what the engine queued and asks the inner transport for the next wake-up.</summary>
    private void FlushLocked(long now)
    {
        while (_engine.TryTakeOutgoing(_out, 0, out int length, out int peer))
        {
            IPEndPoint? to = _peers.Address(peer);
            if (to == null)
            {
                continue;
            }

            // RFC 6347 §4.2.1: the server answers a verified ClientHello with its ServerHello; from then on the
            // engine holds a session for this peer, so its table entry must not be handed to another address.
            if (IsServerHello(_out, length))
            {
                _peers.Claim(peer);
            }

            _inner.Send(to, _out.AsSpan(0, length));
        }

        RescheduleLocked(now);
    }

    private void RescheduleLocked(long now)
    {
        long at = Math.Min(_sinkWakeAt, _engine.NextDeadline);
        if (_failed.Count > 0 || _received.Count > 0)
        {
            at = now;
        }

        _inner.ScheduleWake(at);
    }

    // The first record: handshake (22), epoch 0, and its first message a server_hello (2) (RFC 6347 §4.1, §4.2.2).
    private static bool IsServerHello(byte[] d, int length) =>
        length > RecordHeader && d[0] == DtlsContentType.Handshake && d[3] == 0 && d[4] == 0 && d[RecordHeader] == DtlsHandshakeType.ServerHello;

    // Remembers the identity a handshake presented when the application's store accepts it (RFC 4279 §2); it becomes
    // the session's at OnConnected, so a handshake that fails never renames an established peer.
    private sealed class IdentityRecorder(DtlsCoapTransport owner, IDtlsPskStore store) : IDtlsPskStore
    {
        public int FindKey(int peer, ByteRange identity, ByteRange key)
        {
            int n = store.FindKey(peer, identity, key);
            if (n > 0)
            {
                var copy = new byte[identity.Count];
                Array.Copy(identity.Buffer, identity.Offset, copy, 0, identity.Count);
                owner._peers.SetPendingIdentity(peer, copy);
            }

            return n;
        }
    }

    private sealed class InnerSink(DtlsCoapTransport owner) : ICoapTransportSink
    {
        public void OnDatagram(IPEndPoint source, ReadOnlySpan<byte> datagram) => owner.OnDatagram(source, datagram);

        public void OnTimer() => owner.OnTimer();

        public void OnUnreachable(IPEndPoint destination, string reason) => owner.OnUnreachable(destination, reason);
    }
}
