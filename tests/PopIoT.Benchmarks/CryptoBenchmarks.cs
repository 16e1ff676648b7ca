using System;

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

using PopIoT.Core;
using PopIoT.Core.Crypto;
using PopIoT.Crypto;

namespace PopIoT.Benchmarks;

/// <summary>
/// Managed Core crypto against the platform (System.Security.Cryptography, the Baseline of each
/// category) on the same bytes: HMAC-SHA256 and AES-CCM-16-64-128 (AES-128, M = 8, L = 2,
/// 13-byte nonce, no AAD), 64- and 1024-byte inputs. Objects are keyed once in setup, as on the
/// device; each operation writes into preallocated buffers.
/// Run: <c>dotnet run -c Release --project tests/PopIoT.Benchmarks -- --filter '*Crypto*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class CryptoBenchmarks
{
    private const string Hmac = "HMAC-SHA256";
    private const string CcmEncrypt = "CCM-16-64-128 encrypt";
    private const string CcmDecrypt = "CCM-16-64-128 decrypt";

    private readonly byte[] _nonce = new byte[13];
    private readonly byte[] _mac = new byte[32];
    private readonly byte[] _tag = new byte[8];
    private byte[] _data = Array.Empty<byte>();
    private byte[] _ciphertext = Array.Empty<byte>();
    private byte[] _plaintext = Array.Empty<byte>();
    private IMac _managedHmac = null!;
    private IMac _platformHmac = null!;
    private IAeadCipher _managedCcm = null!;
    private IAeadCipher _platformCcm = null!;
    private IAeadCipher _managedCcmOverPlatformAes = null!;

    /// <summary>Input size in bytes.</summary>
    [Params(64, 1024)]
    public int Size { get; set; }

    /// <summary>Keys every object once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        byte[] hmacKey = new byte[32];
        byte[] aesKey = new byte[16];
        rng.NextBytes(hmacKey);
        rng.NextBytes(aesKey);
        rng.NextBytes(_nonce);
        _data = new byte[Size];
        rng.NextBytes(_data);
        _ciphertext = new byte[Size];
        _plaintext = new byte[Size];

        _managedHmac = new HmacSha256(hmacKey, 0, 32);
        _platformHmac = new PlatformHmacSha256(hmacKey, 0, 32);
        _managedCcm = new Core.Crypto.AesCcm(aesKey, 0, 16, 8, 2);
        _platformCcm = new PlatformAesCcm(aesKey, 0, 16, 8, 2);
        _managedCcmOverPlatformAes = new Core.Crypto.AesCcm(new PlatformAes(aesKey, 0, 16), 8, 2);
        _platformCcm.Encrypt(new ByteRange(_nonce, 0, 13), new ByteRange(_data, 0, Size), _ciphertext, 0, _tag, 0, default);
    }

    /// <summary>Erases the keys.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _managedHmac.Dispose();
        _platformHmac.Dispose();
        _managedCcm.Dispose();
        _platformCcm.Dispose();
        _managedCcmOverPlatformAes.Dispose();
    }

    /// <summary>Platform HMAC-SHA256 (IncrementalHash).</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Hmac)]
    public byte[] Hmac_Platform()
    {
        _platformHmac.Update(_data, 0, _data.Length);
        _platformHmac.Final(_mac, 0);
        return _mac;
    }

    /// <summary>Managed Core HMAC-SHA256.</summary>
    [Benchmark]
    [BenchmarkCategory(Hmac)]
    public byte[] Hmac_Managed()
    {
        _managedHmac.Update(_data, 0, _data.Length);
        _managedHmac.Final(_mac, 0);
        return _mac;
    }

    /// <summary>Platform AesCcm encryption.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory(CcmEncrypt)]
    public byte[] CcmEncrypt_Platform()
    {
        _platformCcm.Encrypt(new ByteRange(_nonce, 0, 13), ByteRange.Of(_data), _ciphertext, 0, _tag, 0, default);
        return _ciphertext;
    }

    /// <summary>Managed Core AES-CCM over managed AES.</summary>
    [Benchmark]
    [BenchmarkCategory(CcmEncrypt)]
    public byte[] CcmEncrypt_Managed()
    {
        _managedCcm.Encrypt(new ByteRange(_nonce, 0, 13), ByteRange.Of(_data), _ciphertext, 0, _tag, 0, default);
        return _ciphertext;
    }

    /// <summary>Managed Core AES-CCM over the platform AES block (the shape of the firmware's native-AES path).</summary>
    [Benchmark]
    [BenchmarkCategory(CcmEncrypt)]
    public byte[] CcmEncrypt_ManagedOverPlatformAes()
    {
        _managedCcmOverPlatformAes.Encrypt(new ByteRange(_nonce, 0, 13), ByteRange.Of(_data), _ciphertext, 0, _tag, 0, default);
        return _ciphertext;
    }

    /// <summary>Platform AesCcm verification and decryption.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory(CcmDecrypt)]
    public bool CcmDecrypt_Platform() =>
        _platformCcm.Decrypt(new ByteRange(_nonce, 0, 13), ByteRange.Of(_ciphertext), _tag, 0, _plaintext, 0, default);

    /// <summary>Managed Core AES-CCM verification and decryption.</summary>
    [Benchmark]
    [BenchmarkCategory(CcmDecrypt)]
    public bool CcmDecrypt_Managed() =>
        _managedCcm.Decrypt(new ByteRange(_nonce, 0, 13), ByteRange.Of(_ciphertext), _tag, 0, _plaintext, 0, default);
}
