using System;
using System.Security.Cryptography;

using BenchmarkDotNet.Attributes;

using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;
using PopIoT.Crypto;
using PopIoT.Core;

namespace PopIoT.Benchmarks;

/// <summary>
/// COSE_Mac0 verify (HMAC 256/64, 100-byte payload, tagged, kid in the unprotected bucket) against
/// the floor: raw platform HMAC-SHA256 (a keyed <see cref="IncrementalHash"/>) over the same
/// ToBeMaced bytes, built once in setup (DESIGN.md §8: token verification within 1.5× raw HMAC).
/// Also the same verify with Core's managed HMAC. Each object is keyed once in setup.
/// Run: <c>dotnet run -c Release --project tests/PopIoT.Benchmarks -- --filter '*Cose*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class CoseBenchmarks
{
    private readonly byte[] _mac = new byte[32];
    private readonly CoseResult _result = new();
    private byte[] _message = Array.Empty<byte>();
    private int _messageLength;
    private byte[] _toBeMaced = Array.Empty<byte>();
    private IncrementalHash _rawHmac = null!;
    private CoseMac0 _platformMac0 = null!;
    private CoseMac0 _managedMac0 = null!;
    private IMac _managedHmac = null!;

    /// <summary>Keys everything once and builds a Mac0 and its MAC_structure.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        byte[] key = new byte[32];
        rng.NextBytes(key);
        byte[] payload = new byte[100];
        rng.NextBytes(payload);
        var coseKey = CoseKey.Symmetric(key, CoseAlgorithm.Hmac256_64.Id, "rs-key-1"u8.ToArray());
        _platformMac0 = new CoseMac0(PlatformCryptoProvider.Instance, coseKey);
        _managedMac0 = new CoseMac0(new ManagedCryptoProvider(PlatformRandomSource.Instance), coseKey);
        _message = new byte[200];
        _messageLength = _platformMac0.Create(ByteRange.Of(payload), default(ByteRange), true, true, ByteRange.Of(_message));

        // RFC 9052 §6.3: [ "MAC0", h'a10104', h'', payload ].
        var w = new System.Formats.Cbor.CborWriter();
        w.WriteStartArray(4);
        w.WriteTextString("MAC0");
        w.WriteByteString([0xA1, 0x01, 0x04]);
        w.WriteByteString([]);
        w.WriteByteString(payload);
        w.WriteEndArray();
        _toBeMaced = w.Encode();
        _rawHmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        _managedHmac = new HmacSha256(key, 0, key.Length);

        if (VerifyPlatform() != CoseError.None || VerifyManaged() != CoseError.None)
        {
            throw new InvalidOperationException("benchmark message does not verify");
        }
    }

    /// <summary>The floor: keyed platform HMAC-SHA256 over the prebuilt ToBeMaced bytes.</summary>
    [Benchmark(Baseline = true)]
    public int RawPlatformHmac()
    {
        _rawHmac.AppendData(_toBeMaced);
        return _rawHmac.GetHashAndReset(_mac);
    }

    /// <summary>Mac0 verify (parse, header rules, alg pin, streamed MAC, constant-time compare) with the platform provider.</summary>
    [Benchmark]
    public CoseError VerifyPlatform() => _platformMac0.Verify(_message, 0, _messageLength, null, 0, 0, _result);

    /// <summary>The same verify with Core's managed HMAC-SHA256 (as on a board without native HMAC).</summary>
    [Benchmark]
    public CoseError VerifyManaged() => _managedMac0.Verify(_message, 0, _messageLength, null, 0, 0, _result);

    /// <summary>Core's managed HMAC-SHA256 alone over the ToBeMaced bytes, to separate parsing from hashing.</summary>
    [Benchmark]
    public int RawManagedHmac()
    {
        _managedHmac.Update(_toBeMaced, 0, _toBeMaced.Length);
        _managedHmac.Final(_mac, 0);
        return _mac[0];
    }

    /// <summary>Releases the keyed objects.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _rawHmac.Dispose();
        _platformMac0.Dispose();
        _managedMac0.Dispose();
        _managedHmac.Dispose();
    }
}
