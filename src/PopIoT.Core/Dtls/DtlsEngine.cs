using System;

using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;

namespace PopIoT.Core.Dtls;

/// <summary>
/// A DTLS 1.2 endpoint for pre-shared keys (RFC 6347, RFC 4279, RFC 6655, RFC 7925) as a sans-IO state machine, in
/// both roles: the host passes in datagrams with its peer index, the peer's address bytes and the monotonic time
/// (<see cref="Receive"/>), takes datagrams out (<see cref="TryTakeOutgoing"/>) and calls <see cref="Poll"/> at
/// <see cref="NextDeadline"/>. With an <see cref="IDtlsPskStore"/> it serves: stateless cookies always, no state for a
/// peer before its cookie verifies, extended master secret required, renegotiation refused. <see cref="Connect"/>
/// starts a client handshake. Sessions live in a fixed table, handshakes in a fixed pool released after Finished;
/// every buffer is allocated here, and records allocate nothing. Not thread-safe: one thread (or one lock).
/// Record dispatch is in DtlsEngine.Receive.cs, the handshake in DtlsEngine.Server.cs and DtlsEngine.Client.cs,
/// flights and alerts in DtlsEngine.Output.cs.
/// </summary>
public sealed partial class DtlsEngine : IDisposable
{
    /// <summary>The value of <see cref="NextDeadline"/> when nothing is scheduled.</summary>
    public const long NoDeadline = long.MaxValue;

    private readonly DtlsSettings _settings;
    private readonly IRandomSource _random;
    private readonly IDtlsPskStore _pskStore;
    private readonly IDtlsListener _listener;
    private readonly DtlsSession[] _sessions;
    private readonly DtlsHandshake[] _handshakes;
    private readonly DtlsRecordLayer _records;
    private readonly DtlsPrf _prf = new DtlsPrf(320);
    private readonly DtlsCookie _cookie;
    private readonly Outbox _outbox;

    // Scratch: the datagram being assembled, a record's plaintext (or one being built), the premaster secret.
    private readonly byte[] _datagram;
    private readonly byte[] _plain;
    private readonly byte[] _premaster;
    private readonly byte[] _verify = new byte[DtlsKeySchedule.VerifyDataLength];

    // Replies to a peer without a session (HelloVerifyRequest, alerts) are written through this slot, never stored.
    private readonly DtlsSession _stateless = new DtlsSession();

    /// <summary>Creates the engine and allocates every table and buffer.</summary>
    /// <param name="settings">Parameters and sizes (read once, validated).</param>
    /// <param name="crypto">Randomness and, when it offers one, a rekeyable AES-CCM.</param>
    /// <param name="pskStore">The server's key lookup, or null for a client-only endpoint.</param>
    /// <param name="listener">Receives connection events and application data.</param>
    public DtlsEngine(DtlsSettings settings, ICryptoProvider crypto, IDtlsPskStore pskStore, IDtlsListener listener)
    {
        if (settings == null || crypto == null || listener == null)
        {
            throw new ArgumentNullException(settings == null ? "settings" : crypto == null ? "crypto" : "listener");
        }

        settings.Validate();
        _settings = settings;
        _random = crypto.Random;
        _pskStore = pskStore;
        _listener = listener;
        _sessions = new DtlsSession[settings.MaxSessions];
        for (int i = 0; i < _sessions.Length; i++)
        {
            _sessions[i] = new DtlsSession();
        }

        _handshakes = new DtlsHandshake[settings.MaxHandshakes];
        for (int i = 0; i < _handshakes.Length; i++)
        {
            _handshakes[i] = new DtlsHandshake(settings);
        }

        _records = new DtlsRecordLayer(crypto);
        _cookie = new DtlsCookie(_random, settings.CookieRotationMs, _prf.Hmac);
        _outbox = new Outbox(settings.OutboxCapacity, settings.DatagramSize);
        _datagram = new byte[settings.DatagramSize];
        _plain = new byte[settings.DatagramSize];
        _premaster = new byte[4 + (2 * settings.MaxPskLength)];
    }

    /// <summary>The settings this engine was built with (do not change them).</summary>
    public DtlsSettings Settings
    {
        get { return _settings; }
    }

    /// <summary>Records dropped because their tag did not verify (RFC 6347 §4.1.2.7).</summary>
    public int AuthenticationFailures
    {
        get { return _records.AuthenticationFailures; }
    }

    /// <summary>Records dropped by the replay window (RFC 6347 §4.1.2.6).</summary>
    public int ReplaysDropped
    {
        get { return _records.Replays; }
    }

    /// <summary>Records or datagrams dropped as malformed, unexpected or from a peer without a session.</summary>
    public int RecordsDropped { get; private set; }

    /// <summary>HelloVerifyRequests sent (ClientHellos without a valid cookie).</summary>
    public int CookiesSent { get; private set; }

    /// <summary>Verified ClientHellos dropped because the handshake pool or the session table was full.</summary>
    public int HandshakesRefused { get; private set; }

    /// <summary>Datagrams dropped because the outbox was full.</summary>
    public int DroppedOutgoing
    {
        get { return _outbox.Dropped; }
    }

    /// <summary>Datagrams waiting in the outbox.</summary>
    public int OutgoingCount
    {
        get { return _outbox.Count; }
    }

    /// <summary>Sessions in use (handshaking or established).</summary>
    public int SessionCount
    {
        get
        {
            int n = 0;
            for (int i = 0; i < _sessions.Length; i++)
            {
                if (_sessions[i].State != DtlsSession.Free)
                {
                    n++;
                }
            }

            return n;
        }
    }

    /// <summary>Handshake pool entries in use.</summary>
    public int HandshakeCount
    {
        get
        {
            int n = 0;
            for (int i = 0; i < _handshakes.Length; i++)
            {
                if (_handshakes[i].InUse)
                {
                    n++;
                }
            }

            return n;
        }
    }

    /// <summary>Which established sessions a new handshake may evict from a full table (null: any, least recently used first).</summary>
    public IDtlsEvictionPolicy EvictionPolicy { get; set; }

    /// <summary>The size of the session table (<see cref="DtlsSettings.MaxSessions"/>).</summary>
    public int SessionCapacity
    {
        get { return _sessions.Length; }
    }

    /// <summary>The peer of the established session in table slot <paramref name="index"/>, or -1 (for hosts that sweep their sessions).</summary>
    /// <param name="index">0 to <see cref="SessionCapacity"/> − 1.</param>
    /// <returns>The peer index, or -1 when the slot is free or handshaking.</returns>
    public int EstablishedPeerAt(int index)
    {
        DtlsSession s = _sessions[index];
        return s.State == DtlsSession.Established ? s.Peer : -1;
    }

    /// <summary>Whether any session or handshake is held for <paramref name="peer"/>.</summary>
    /// <param name="peer">The peer index.</param>
    /// <returns>True when the engine holds state for it.</returns>
    public bool HasSession(int peer)
    {
        return Find(peer) != null;
    }

    /// <summary>The largest application data <see cref="Send"/> accepts for a session (one record in one datagram).</summary>
    /// <param name="peer">The peer index.</param>
    /// <returns>Bytes, or 0 without an established session.</returns>
    public int MaxApplicationData(int peer)
    {
        DtlsSession s = Find(peer);
        return s == null || s.State != DtlsSession.Established ? 0 : _settings.DatagramSize - DtlsRecordLayer.Overhead(1, s.TagSize);
    }

    /// <summary>True when a session with <paramref name="peer"/> finished its handshake and is open.</summary>
    /// <param name="peer">The peer index.</param>
    /// <returns>Whether application data can flow.</returns>
    public bool IsEstablished(int peer)
    {
        DtlsSession s = Find(peer);
        return s != null && s.State == DtlsSession.Established;
    }

    /// <summary>The cipher suite of the established session with <paramref name="peer"/>, or 0.</summary>
    /// <param name="peer">The peer index.</param>
    /// <returns>The suite number.</returns>
    public int CipherSuite(int peer)
    {
        DtlsSession s = Find(peer);
        if (s == null || s.State != DtlsSession.Established)
        {
            return 0;
        }

        return s.TagSize == 8 ? DtlsCipherSuite.PskAes128Ccm8 : DtlsCipherSuite.PskAes128Ccm;
    }

    /// <summary>The earliest time at which <see cref="Poll"/> has work, or <see cref="NoDeadline"/>.</summary>
    public long NextDeadline
    {
        get
        {
            long next = NoDeadline;
            for (int i = 0; i < _handshakes.Length; i++)
            {
                DtlsHandshake h = _handshakes[i];
                if (h.InUse)
                {
                    if (h.TimeoutAt < next)
                    {
                        next = h.TimeoutAt;
                    }

                    if (h.RetransmitAt != 0 && h.RetransmitAt < next)
                    {
                        next = h.RetransmitAt;
                    }
                }
            }

            return next;
        }
    }

    /// <summary>Takes the next datagram to send.</summary>
    /// <param name="destination">Receives the datagram (room for <see cref="DtlsSettings.DatagramSize"/> bytes).</param>
    /// <param name="offset">Where to write it.</param>
    /// <param name="length">Its length.</param>
    /// <param name="peer">The peer index to send it to.</param>
    /// <returns>False when the outbox is empty.</returns>
    public bool TryTakeOutgoing(byte[] destination, int offset, out int length, out int peer)
    {
        return _outbox.TryTake(destination, offset, out length, out peer);
    }

    /// <summary>
    /// Protects application data as one record to an established session and queues it (RFC 5246 §10).
    /// </summary>
    /// <param name="peer">The peer index.</param>
    /// <param name="data">The data, at most <see cref="MaxApplicationData"/> bytes.</param>
    /// <param name="now">The current monotonic time in milliseconds.</param>
    /// <returns>False without an established session or when the data does not fit one datagram.</returns>
    public bool Send(int peer, ByteRange data, long now)
    {
        DtlsSession s = Find(peer);
        if (s == null || s.State != DtlsSession.Established || data.Count > MaxApplicationData(peer))
        {
            return false;
        }

        int n = _records.Write(s, DtlsContentType.ApplicationData, data, _datagram, 0);
        if (n < 0)
        {
            return false;
        }

        s.LastUsed = now;
        _outbox.Enqueue(peer, _datagram, 0, n);
        return true;
    }

    /// <summary>Sends close_notify (RFC 5246 §7.2.1) and erases the session; the listener hears <see cref="IDtlsListener.OnClosed"/>.</summary>
    /// <param name="peer">The peer index.</param>
    /// <param name="now">The current monotonic time in milliseconds.</param>
    public void Close(int peer, long now)
    {
        DtlsSession s = Find(peer);
        if (s != null)
        {
            SendAlert(s, DtlsAlert.Warning, DtlsAlert.CloseNotify);
            Drop(s, DtlsAlert.CloseNotify);
        }
    }

    /// <summary>
    /// Derives keying material from an established session (RFC 5705 §4), for channel binding.
    /// </summary>
    /// <param name="peer">The peer index.</param>
    /// <param name="label">The exporter label (not one TLS reserves).</param>
    /// <param name="context">The context value; a range with a null buffer means no context (RFC 5705 §4).</param>
    /// <param name="output">Receives the material.</param>
    /// <param name="offset">Where to write it.</param>
    /// <param name="length">How many bytes.</param>
    /// <returns>False without an established session, for a reserved label, or when label and context exceed the PRF buffer.</returns>
    public bool ExportKeyingMaterial(int peer, ByteRange label, ByteRange context, byte[] output, int offset, int length)
    {
        DtlsSession s = Find(peer);
        if (s == null || s.State != DtlsSession.Established)
        {
            return false;
        }

        return DtlsKeySchedule.Export(_prf, s.Secrets, label, context, new ByteRange(output, offset, length));
    }

    /// <summary>Erases every key and session.</summary>
    public void Dispose()
    {
        for (int i = 0; i < _sessions.Length; i++)
        {
            if (_sessions[i].Handshake >= 0)
            {
                _handshakes[_sessions[i].Handshake].Release();
            }

            _sessions[i].Erase();
        }

        Array.Clear(_premaster, 0, _premaster.Length);
        Array.Clear(_plain, 0, _plain.Length);
        _records.Dispose();
        _prf.Dispose();
        _cookie.Dispose();
    }

    private DtlsSession Find(int peer)
    {
        for (int i = 0; i < _sessions.Length; i++)
        {
            if (_sessions[i].State != DtlsSession.Free && _sessions[i].Peer == peer)
            {
                return _sessions[i];
            }
        }

        return null;
    }

    /// <summary>Erases a session (and its handshake) and tells the listener.</summary>
    private void Drop(DtlsSession s, int alert)
    {
        int peer = s.Peer;
        if (s.Handshake >= 0)
        {
            _handshakes[s.Handshake].Release();
        }

        s.Erase();
        _listener.OnClosed(peer, alert);
    }
}
