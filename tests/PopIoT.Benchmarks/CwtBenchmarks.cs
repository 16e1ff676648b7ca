using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Text.Json;

using BenchmarkDotNet.Attributes;

using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;
using PopIoT.Core.Cwt;
using PopIoT.Crypto;

namespace PopIoT.Benchmarks;

/// <summary>
/// CWT validation on the RS (DESIGN.md §8): a tag-61 COSE_Mac0 (HMAC 256/64) with aud, exp, nbf,
/// iat, cti, scope and a cnf COSE_Key (a P-256 public key), validated end to end (peel, verify,
/// claims, checks, cnf) against the floor: raw platform HMAC-SHA256 over the same ToBeMaced bytes.
/// Also with the managed provider, and a token whose cnf is an Encrypted_COSE_Key (adds an AES-CCM
/// decryption). The setup prints the size comparison with a JWT (HS256) whose cnf is a JWE-encrypted
/// JWK (RFC 7800 §3.3), and fails if the CWT is not smaller (DESIGN.md §8).
/// Run: <c>dotnet run -c Release --project tests/PopIoT.Benchmarks -- --filter '*Cwt*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class CwtBenchmarks
{
    private readonly byte[] _mac = new byte[32];
    private readonly CwtValidationResult _result = new();
    private byte[] _token = Array.Empty<byte>();
    private byte[] _tokenEncryptedKey = Array.Empty<byte>();
    private byte[] _toBeMaced = Array.Empty<byte>();
    private IncrementalHash _rawHmac = null!;
    private CwtValidator _platform = null!;
    private CwtValidator _managed = null!;

    /// <summary>Sizes measured in setup: the CWT with an Encrypted_COSE_Key and the equivalent JWT.</summary>
    public static (int Cwt, int Jwt, string JweAlgorithms) Sizes { get; private set; }

    /// <summary>Builds the tokens and keys the validators once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        byte[] asRsKey = new byte[32];
        RandomNumberGenerator.Fill(asRsKey);
        byte[] kek = new byte[16];
        RandomNumberGenerator.Fill(kek);
        var macKey = CoseKey.Symmetric(asRsKey, CoseAlgorithm.Hmac256_64.Id, "rs-key-1"u8.ToArray());
        var cnfKey = CoseKey.Symmetric(kek, CoseAlgorithm.AesCcm16_64_128.Id, null);
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ECParameters ep = ecdsa.ExportParameters(false);
        var popPublic = CoseKey.Ec2P256(ep.Q.X!, ep.Q.Y!, null, CoseAlgorithm.ES256.Id, [1, 2]);

        using var claims = Claims();
        claims.SetConfirmationKey(popPublic);
        using var issuer = new CwtIssuer(PlatformCryptoProvider.Instance, macKey) { CwtTag = true };
        _token = issuer.Create(claims);

        byte[] popKey = new byte[16];
        RandomNumberGenerator.Fill(popKey);
        byte[] popKid = [0x70, 0x6f, 0x70, 0x31];
        using (var enc = new CoseEncrypt0(PlatformCryptoProvider.Instance, cnfKey))
        {
            claims.SetConfirmationEncryptedKey(CoseKey.Symmetric(popKey, CoseAlgorithm.AesCcm16_64_128.Id, popKid), enc, null);
        }

        _tokenEncryptedKey = issuer.Create(claims);

        // RFC 9052 §6.3 ToBeMaced of _token: [ "MAC0", protected, h'', payload ] (the payload read back from the token).
        var reader = new System.Formats.Cbor.CborReader(_token);
        reader.ReadTag();
        reader.ReadTag();
        reader.ReadStartArray();
        byte[] prot = reader.ReadByteString();
        reader.SkipValue();
        byte[] payload = reader.ReadByteString();
        var w = new System.Formats.Cbor.CborWriter();
        w.WriteStartArray(4);
        w.WriteTextString("MAC0");
        w.WriteByteString(prot);
        w.WriteByteString([]);
        w.WriteByteString(payload);
        w.WriteEndArray();
        _toBeMaced = w.Encode();
        _rawHmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, asRsKey);

        _platform = Validator(PlatformCryptoProvider.Instance, macKey, cnfKey);
        _managed = Validator(new ManagedCryptoProvider(PlatformRandomSource.Instance), macKey, cnfKey);
        if (ValidatePlatform() != CwtError.None || ValidateManaged() != CwtError.None || ValidatePlatformEncryptedKey() != CwtError.None)
        {
            throw new InvalidOperationException("benchmark token does not validate: " + _result);
        }

        string jwt = Jwt(asRsKey, kek, popKey, popKid, out string jweAlgorithms);
        Sizes = (_tokenEncryptedKey.Length, jwt.Length, jweAlgorithms);
        Console.WriteLine($"// SIZE CWT Mac0 (HMAC 256/64, tag 61) + cnf Encrypted_COSE_Key (AES-CCM-16-64-128, 16-byte key): {_tokenEncryptedKey.Length} bytes");
        Console.WriteLine($"// SIZE JWT HS256 + cnf.jwe ({jweAlgorithms}, JWK oct 16-byte key), same claims: {jwt.Length} bytes");
        Console.WriteLine($"// SIZE CWT with a COSE_Key (P-256 public) cnf: {_token.Length} bytes");
        if (_tokenEncryptedKey.Length >= jwt.Length)
        {
            throw new InvalidOperationException("DESIGN.md §8: the CWT must be smaller than the JWT.");
        }
    }

    /// <summary>
    /// The floor: keyed platform HMAC-SHA256 over the token's prebuilt ToBeMaced bytes. It is the fastest platform
    /// HMAC found: a keyed <see cref="HMACSHA256"/> (TryComputeHash) costs the same, and the one-shot static
    /// <see cref="HMACSHA256.HashData(byte[], byte[])"/> two to three times as much (it keys a new context per call).
    /// The platform provider (PlatformHmacSha256) uses the same IncrementalHash calls: one update, one final.
    /// </summary>
    [Benchmark(Baseline = true)]
    public int RawPlatformHmac()
    {
        _rawHmac.AppendData(_toBeMaced);
        return _rawHmac.GetHashAndReset(_mac);
    }

    /// <summary>Full CWT validation (peel 61, Mac0 verify, claims, aud/exp/nbf, cnf COSE_Key) with the platform provider.</summary>
    [Benchmark]
    public CwtError ValidatePlatform() => _platform.Validate(_token, 0, _token.Length, _result);

    /// <summary>The same with Core's managed HMAC-SHA256 (a board without native HMAC).</summary>
    [Benchmark]
    public CwtError ValidateManaged() => _managed.Validate(_token, 0, _token.Length, _result);

    /// <summary>Platform validation of the token whose cnf is an Encrypted_COSE_Key (adds one AES-CCM decryption).</summary>
    [Benchmark]
    public CwtError ValidatePlatformEncryptedKey() => _platform.Validate(_tokenEncryptedKey, 0, _tokenEncryptedKey.Length, _result);

    /// <summary>Releases the keyed objects.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _rawHmac.Dispose();
        _platform.Dispose();
        _managed.Dispose();
        _result.Dispose();
    }

    private static CwtClaimsBuilder Claims()
    {
        var b = new CwtClaimsBuilder();
        b.SetIssuer("coaps://as.example.com");
        b.SetAudience("coaps://rs1.example.com");
        b.SetExpiration(1_900_000_000);
        b.SetNotBefore(1_700_000_000);
        b.SetIssuedAt(1_700_000_000);
        b.SetCti([0x72, 0x73, 0x31, 0x00, 0x00, 0x00, 0x2a]);
        b.SetScope("temperature_g firmware_p");
        return b;
    }

    private static CwtValidator Validator(PopIoT.Core.Crypto.ICryptoProvider provider, CoseKey macKey, CoseKey cnfKey)
    {
        var v = new CwtValidator(provider, new FixedClock(1_800_000_000), "coaps://rs1.example.com");
        v.SetMac0Key(macKey);
        v.SetCnfDecryptionKey(cnfKey);
        return v;
    }

    // The JWT twin: same claims (jti for cti), HS256 under the AS–RS key, cnf = { "jwe": compact JWE of
    // the JWK } (RFC 7800 §3.3). The JWE uses dir + A128GCM when the library encrypts with it, else A128KW + A128CBC-HS256.
    private static string Jwt(byte[] asRsKey, byte[] kek, byte[] popKey, byte[] popKid, out string jweAlgorithms)
    {
        string jwk = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["kty"] = "oct",
            ["kid"] = Base64UrlEncoder.Encode(popKid),
            ["alg"] = "A128GCM",
            ["k"] = Base64UrlEncoder.Encode(popKey),
        });

        var handler = new JsonWebTokenHandler();
        string jwe;
        try
        {
            jwe = handler.EncryptToken(jwk, new EncryptingCredentials(new SymmetricSecurityKey(kek), "dir", SecurityAlgorithms.Aes128Gcm));
            jweAlgorithms = "dir + A128GCM";
        }
        catch (Exception)
        {
            jwe = handler.EncryptToken(jwk, new EncryptingCredentials(new SymmetricSecurityKey(kek), SecurityAlgorithms.Aes128KW, SecurityAlgorithms.Aes128CbcHmacSha256));
            jweAlgorithms = "A128KW + A128CBC-HS256";
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = "coaps://as.example.com",
            Audience = "coaps://rs1.example.com",
            Expires = DateTimeOffset.FromUnixTimeSeconds(1_900_000_000).UtcDateTime,
            NotBefore = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).UtcDateTime,
            IssuedAt = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).UtcDateTime,
            Claims = new Dictionary<string, object>
            {
                ["jti"] = Base64UrlEncoder.Encode(new byte[] { 0x72, 0x73, 0x31, 0x00, 0x00, 0x00, 0x2a }),
                ["scope"] = "temperature_g firmware_p",
                ["cnf"] = new Dictionary<string, object> { ["jwe"] = jwe },
            },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(asRsKey), SecurityAlgorithms.HmacSha256),
        };
        return handler.CreateToken(descriptor);
    }

    private sealed class FixedClock : ICwtClock
    {
        private readonly long _now;

        public FixedClock(long now) => _now = now;

        public bool TryGetUnixTime(out long unixSeconds)
        {
            unixSeconds = _now;
            return true;
        }
    }
}
