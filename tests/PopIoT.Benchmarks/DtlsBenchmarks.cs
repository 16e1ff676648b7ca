using System;

using BenchmarkDotNet.Attributes;

using PopIoT.Core;
using PopIoT.Core.Crypto;
using PopIoT.Core.Dtls;

namespace PopIoT.Benchmarks;

/// <summary>
/// The Core DTLS engine (docs/dtls.md) with the board's crypto path (Core's managed AES and HMAC): one application
/// record sent and received each way on an established CCM_8 session, against the floor (Baseline) of raw platform
/// AES-CCM (System.Security.Cryptography.AesCcm, 12-byte nonce, 8-byte tag) sealing and opening the same payloads;
/// and a whole PSK handshake (cookie exchange included) between our client and our server in memory.
/// Run: <c>dotnet run -c Release --project tests/PopIoT.Benchmarks -- --filter '*Dtls*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class DtlsBenchmarks
{
    private static readonly byte[] Identity = "device-1"u8.ToArray();
    private static readonly byte[] Key = Convert.FromHexString("00112233445566778899aabbccddeeff");
    private static readonly byte[] Address = [192, 0, 2, 1];

    private readonly byte[] _request = new byte[64];
    private readonly byte[] _response = new byte[64];
    private readonly byte[] _wire = new byte[2048];
    private readonly byte[] _nonce = new byte[12];
    private readonly byte[] _aad = new byte[13];
    private readonly byte[] _cipher = new byte[64];
    private readonly byte[] _plain = new byte[64];
    private readonly byte[] _tag = new byte[8];
    private DtlsEngine _client = null!;
    private DtlsEngine _server = null!;
    private System.Security.Cryptography.AesCcm _raw = null!;
    private long _sequence;

    [GlobalSetup]
    public void Setup()
    {
        (_client, _server) = Handshake();
        _raw = new System.Security.Cryptography.AesCcm(Key);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _server.Dispose();
        _raw.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw platform AES-CCM_8, seal and open both ways")]
    public int RawCcm()
    {
        _sequence++;
        _nonce[11] = (byte)_sequence;
        _raw.Encrypt(_nonce, _request, _cipher, _tag, _aad);
        _raw.Decrypt(_nonce, _cipher, _tag, _plain, _aad);
        _raw.Encrypt(_nonce, _response, _cipher, _tag, _aad);
        _raw.Decrypt(_nonce, _cipher, _tag, _plain, _aad);
        return _plain[0];
    }

    [Benchmark(Description = "Core DTLS record, CCM_8, 64 bytes each way")]
    public int RecordRoundTrip()
    {
        _client.Send(0, new ByteRange(_request, 0, _request.Length), 1);
        _client.TryTakeOutgoing(_wire, 0, out int n, out _);
        _server.Receive(new ByteRange(_wire, 0, n), 5, new ByteRange(Address, 0, Address.Length), 1);
        _server.Send(5, new ByteRange(_response, 0, _response.Length), 1);
        _server.TryTakeOutgoing(_wire, 0, out n, out _);
        _client.Receive(new ByteRange(_wire, 0, n), 0, default, 1);
        return n;
    }

    [Benchmark(Description = "Core DTLS PSK handshake with cookie exchange, in memory")]
    public bool FullHandshake()
    {
        var (client, server) = Handshake();
        bool ok = client.IsEstablished(0);
        client.Dispose();
        server.Dispose();
        return ok;
    }

    private static (DtlsEngine Client, DtlsEngine Server) Handshake()
    {
        var random = new PopIoT.Crypto.PlatformRandomSource();
        var client = new DtlsEngine(new DtlsSettings(), new ManagedCryptoProvider(random), null, Quiet.Instance);
        var server = new DtlsEngine(new DtlsSettings(), new ManagedCryptoProvider(random), new OneKey(), Quiet.Instance);
        client.Connect(0, ByteRange.Of(Identity), ByteRange.Of(Key), 0);
        byte[] wire = new byte[2048];
        for (int i = 0; i < 8 && !client.IsEstablished(0); i++)
        {
            while (client.TryTakeOutgoing(wire, 0, out int n, out _))
            {
                server.Receive(new ByteRange(wire, 0, n), 5, new ByteRange(Address, 0, Address.Length), 0);
            }

            while (server.TryTakeOutgoing(wire, 0, out int n, out _))
            {
                client.Receive(new ByteRange(wire, 0, n), 0, default, 0);
            }
        }

        if (!client.IsEstablished(0) || !server.IsEstablished(5))
        {
            throw new InvalidOperationException("The benchmark handshake did not complete.");
        }

        return (client, server);
    }

    private sealed class OneKey : IDtlsPskStore
    {
        public int FindKey(int peer, ByteRange identity, ByteRange key)
        {
            Key.CopyTo(key.Buffer, key.Offset);
            return Key.Length;
        }
    }

    private sealed class Quiet : IDtlsListener
    {
        public static readonly Quiet Instance = new();

        public void OnConnected(int peer)
        {
        }

        public void OnApplicationData(int peer, ByteRange data)
        {
        }

        public void OnClosed(int peer, int alert)
        {
        }
    }
}
