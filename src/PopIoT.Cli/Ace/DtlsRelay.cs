using System.Net;
using System.Security.Cryptography;
using PopIoT.Coap;
using PopIoT.Core;
using PopIoT.Core.Dtls;
using PopIoT.Crypto;

namespace PopIoT.Cli.Ace;

/// <summary>
/// The attacker of the demo's relay step: an intermediary that terminates DTLS between a gateway and a device (the
/// seed's §3.2 case). It listens as a DTLS server where the gateway expects the device, and keeps every psk_identity
/// it is shown: identities travel in the clear (RFC 4279 §2), so with RFC 9202 §3.3.2's token-as-identity it captures
/// the whole access token. It does not have the token's PSK, so it answers each identity with a key of its own; it
/// counts the application bytes it manages to decrypt, and tries the captured token at the device itself.
/// </summary>
internal sealed class DtlsRelay : IDtlsPskStore, ICoapTransportSink, IDisposable
{
    private readonly DtlsCoapTransport _posingAsDevice;
    private readonly byte[] _guessedPsk = new byte[16];
    private readonly TaskCompletionSource<byte[]> _captured = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _handshakeTimeoutMs;
    private long _decrypted;

    /// <param name="handshakeTimeoutMs">How long its own handshakes may take before it gives up.</param>
    public DtlsRelay(int handshakeTimeoutMs)
    {
        _handshakeTimeoutMs = handshakeTimeoutMs;
        PlatformCryptoProvider.Instance.Random.GetBytes(_guessedPsk, 0, _guessedPsk.Length);
        DtlsSettings settings = DtlsCoapTransportOptions.ForHost();
        Shorten(settings, handshakeTimeoutMs);
        _posingAsDevice = new DtlsCoapTransport(new UdpCoapTransport(new IPEndPoint(IPAddress.Loopback, 0)), new DtlsCoapTransportOptions { PskStore = this, Settings = settings });
        _posingAsDevice.Start(this);
    }

    /// <summary>Where the relay poses as the device (coaps).</summary>
    public Uri SecureBase => new("coaps://127.0.0.1:" + _posingAsDevice.LocalEndPoint.Port);

    /// <summary>The first psk_identity a client showed the relay.</summary>
    public Task<byte[]> Captured => _captured.Task;

    /// <summary>Records from its clients whose tag did not verify under the relay's key (RFC 6347 §4.1.2.7), e.g. a Finished.</summary>
    public int AuthenticationFailures => _posingAsDevice.Inspect(e => e.AuthenticationFailures);

    /// <summary>Application data the relay decrypted from its clients, in bytes.</summary>
    public long ApplicationBytesDecrypted => Interlocked.Read(ref _decrypted);

    /// <summary>
    /// The relay's own try at the device: a GET over a session it opens with the captured identity and the only key it
    /// has, its own. The device takes the identity (the token is valid) but the relay cannot produce a Finished under the
    /// token's PSK (RFC 5246 §7.4.9), so the handshake never completes.
    /// </summary>
    /// <param name="device">The device's coaps base URI.</param>
    /// <param name="identity">The captured psk_identity.</param>
    /// <returns>The device's answer, or why there was none.</returns>
    public async Task<string> TryDeviceAsync(Uri device, byte[] identity)
    {
        DtlsSettings settings = DtlsCoapTransportOptions.ForClient();
        Shorten(settings, _handshakeTimeoutMs);
        using var client = new CoapClient(new CoapClientOptions
        {
            PskIdentity = identity,
            Psk = (byte[])_guessedPsk.Clone(),
            Dtls = settings,
            Timeout = TimeSpan.FromMilliseconds(_handshakeTimeoutMs * 4L),
        });
        try
        {
            CoapResponse r = await client.GetAsync(new Uri(device, "/temp")).ConfigureAwait(false);
            return "answered " + r.CodeText;
        }
        catch (Exception e) when (e is CoapException or TimeoutException)
        {
            return e.Message;
        }
    }

    int IDtlsPskStore.FindKey(int peer, ByteRange identity, ByteRange key)
    {
        byte[] copy = new byte[identity.Count];
        identity.CopyTo(copy, 0);
        _captured.TrySetResult(copy);
        if (key.Count < _guessedPsk.Length)
        {
            return -DtlsAlert.InternalError;
        }

        Array.Copy(_guessedPsk, 0, key.Buffer, key.Offset, _guessedPsk.Length);
        return _guessedPsk.Length;
    }

    void ICoapTransportSink.OnDatagram(IPEndPoint source, ReadOnlySpan<byte> datagram) => Interlocked.Add(ref _decrypted, datagram.Length);

    void ICoapTransportSink.OnTimer()
    {
    }

    public void Dispose()
    {
        _posingAsDevice.Dispose();
        CryptographicOperations.ZeroMemory(_guessedPsk);
    }

    // On loopback a handshake takes milliseconds; one that cannot complete is given up after the timeout, not 60 s.
    // Identities up to a whole token (RFC 9202 §3.3.2) fit.
    private static void Shorten(DtlsSettings settings, int handshakeTimeoutMs)
    {
        settings.MaxIdentityLength = 1024;
        settings.InitialRetransmitMs = Math.Min(settings.InitialRetransmitMs, Math.Max(1, handshakeTimeoutMs / 2));
        settings.MaxRetransmitMs = Math.Max(settings.InitialRetransmitMs, handshakeTimeoutMs);
        settings.HandshakeTimeoutMs = handshakeTimeoutMs;
    }
}
