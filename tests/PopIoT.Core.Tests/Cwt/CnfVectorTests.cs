using System;

using PopIoT.Core.Cose;
using PopIoT.Core.Cwt;

using Xunit;

using static PopIoT.Core.Tests.Cose.CoseTestSupport;
using static PopIoT.Core.Tests.Cwt.CwtTestSupport;

using Sfc = System.Formats.Cbor;

namespace PopIoT.Core.Tests.Cwt;

/// <summary>
/// cnf (RFC 8747 §3, RFC 9203 §3.2.1): the figures of tests/vectors/ace/rfc8747-cnf-examples.txt and
/// rfc9203-figures.txt, encoded here and carried in tokens made with the COSE layer.
/// </summary>
public class CnfVectorTests
{
    private static readonly CoseKey MacKey = HmacKey();
    private static readonly CoseKey AeadKey = CoseKey.Symmetric(Filled(16, 9), CoseAlgorithm.AesCcm16_64_128.Id, null);

    internal static byte[] Mac0Token(byte[] claims)
    {
        using var mac0 = new CoseMac0(Managed, MacKey);
        byte[] output = new byte[claims.Length + 64];
        int n = mac0.Create(ByteRange.Of(claims), default(ByteRange), false, true, ByteRange.Of(output));
        return output.AsSpan(0, n).ToArray();
    }

    internal static byte[] Encrypt0Token(byte[] claims)
    {
        using var enc = new CoseEncrypt0(Managed, AeadKey);
        byte[] output = new byte[claims.Length + 64];
        int n = enc.Create(ByteRange.Of(claims), default(ByteRange), null, false, true, ByteRange.Of(output));
        return output.AsSpan(0, n).ToArray();
    }

    private static CwtValidator Validator(string aud, long now)
    {
        var v = new CwtValidator(Managed, new TestClock(now), aud);
        v.SetMac0Key(MacKey);
        v.SetEncrypt0Key(AeadKey);
        v.SetCnfDecryptionKey(CoseKey.Symmetric(Rfc8747Kek, CoseAlgorithm.AesCcm16_64_128.Id, null));
        return v;
    }

    private static readonly byte[] X = Convert.FromHexString("d7cc072de2205bdc1537a543d53c60a6acb62eccd890c7fa27c9e354089bbe13");
    private static readonly byte[] Y = Convert.FromHexString("f95e1d4b851a2cc80fff87d8e23f22afb725d535e515d020731e79a3b4e47120");

    // RFC 8747 §3.2 figure: a COSE_Key (EC2 P-256 public key) in cnf.
    private static byte[] CoseKeyClaims() => Encode(w =>
    {
        w.WriteStartMap(4);
        w.WriteInt32(1); w.WriteTextString("coaps://server.example.com");
        w.WriteInt32(3); w.WriteTextString("coaps://client.example.org");
        w.WriteInt32(4); w.WriteInt64(1879067471);
        w.WriteInt32(8); w.WriteStartMap(1);
        w.WriteInt32(1); w.WriteStartMap(4);
        w.WriteInt32(1); w.WriteInt32(2);
        w.WriteInt32(-1); w.WriteInt32(1);
        w.WriteInt32(-2); w.WriteByteString(X);
        w.WriteInt32(-3); w.WriteByteString(Y);
        w.WriteEndMap(); w.WriteEndMap(); w.WriteEndMap();
    });

    [Fact]
    public void Rfc8747_cose_key_cnf_is_read_from_a_mac0_token()
    {
        using var v = Validator("coaps://client.example.org", 1879067000);
        using var r = v.Validate(Mac0Token(CoseKeyClaims()));

        Assert.True(r.IsValid, r.ToString());
        Assert.Equal("coaps://server.example.com", r.Claims.GetIssuer());
        Assert.Equal(1879067471, r.Claims.Expiration);
        CwtConfirmation cnf = r.Confirmation;
        Assert.Equal(CnfMethod.CoseKey, cnf.Method);
        Assert.Equal(CoseKeyType.Ec2, cnf.KeyType);
        Assert.Equal(CoseCurve.P256, cnf.Curve);
        Assert.Equal(X, cnf.Buffer.AsSpan(cnf.XOffset, cnf.XLength).ToArray());
        Assert.Equal(Y, cnf.Buffer.AsSpan(cnf.YOffset, cnf.YLength).ToArray());
        Assert.Equal(0, cnf.SymmetricKeyLength);
        using CoseKey key = cnf.ToCoseKey()!;
        Assert.Equal(CoseKeyType.Ec2, key.KeyType);
        Assert.False(key.HasPrivateKey);
    }

    private static readonly byte[] EncryptedKeyIv = Convert.FromHexString("636898994FF0EC7BFCF6D3F95B");
    private static readonly byte[] EncryptedKeyCiphertext = Convert.FromHexString("0573318A3573EB983E55A7C2F06CADD0796C9E584F1D0E3EA8C5B052592A8B2694BE9654F0431F38D5BBC8049FA7F13F");

    // RFC 8747 §3.3 figure: Encrypted_COSE_Key (untagged COSE_Encrypt0). Its "/iat/ 5" is label 5 (nbf).
    internal static byte[] EncryptedKeyClaims(Action<Sfc.CborWriter>? cnfValue = null) => Encode(w =>
    {
        w.WriteStartMap(6);
        w.WriteInt32(1); w.WriteTextString("coaps://server.example.com");
        w.WriteInt32(2); w.WriteTextString("24400320");
        w.WriteInt32(3); w.WriteTextString("s6BhdRkqt3");
        w.WriteInt32(4); w.WriteInt64(1311281970);
        w.WriteInt32(5); w.WriteInt64(1311280970);
        w.WriteInt32(8); w.WriteStartMap(1);
        w.WriteInt32(2);
        if (cnfValue != null)
        {
            cnfValue(w);
        }
        else
        {
            w.WriteStartArray(3);
            w.WriteByteString([0xA1, 0x01, 0x0A]);
            w.WriteStartMap(1); w.WriteInt32(5); w.WriteByteString(EncryptedKeyIv); w.WriteEndMap();
            w.WriteByteString(EncryptedKeyCiphertext);
            w.WriteEndArray();
        }

        w.WriteEndMap(); w.WriteEndMap();
    });

    [Fact]
    public void Rfc8747_encrypted_cose_key_decrypts_to_the_hmac_256_256_key()
    {
        using var v = Validator("s6BhdRkqt3", 1311281000);
        using var r = v.Validate(Mac0Token(EncryptedKeyClaims()));

        Assert.True(r.IsValid, r.ToString());
        Assert.Equal("24400320", r.Claims.GetSubject());
        Assert.Equal(1311280970, r.Claims.NotBefore);
        CwtConfirmation cnf = r.Confirmation;
        Assert.Equal(CnfMethod.EncryptedCoseKey, cnf.Method);
        Assert.Equal(CoseKeyType.Symmetric, cnf.KeyType);
        Assert.Equal(CoseAlgorithm.Hmac256_256.Id, cnf.KeyAlgorithm);
        byte[] k = new byte[32];
        Assert.Equal(32, cnf.CopySymmetricKey(k, 0));
        Assert.Equal(Rfc8747PopKey, k);

        // Labels 3, 1, -1 in that (non-canonical) order decode too.
        using CoseKey key = cnf.ToCoseKey()!;
        Assert.Equal(CoseAlgorithm.Hmac256_256.Id, key.Algorithm);
        Assert.DoesNotContain("6684", cnf.ToString(), StringComparison.OrdinalIgnoreCase);

        // Clear erases the decrypted key.
        byte[] buffer = cnf.Buffer;
        int at = cnf.SymmetricKeyOffset;
        r.Clear();
        Assert.Equal(new byte[32], buffer.AsSpan(at, 32).ToArray());
        Assert.Equal(CnfMethod.None, r.Confirmation.Method);
    }

    [Fact]
    public void A_cnf_key_marked_unwrap_key_opens_the_Encrypted_COSE_Key_and_never_decrypts_a_token()
    {
        // RFC 9052 §7.1: the Encrypted_COSE_Key's plaintext is a key, so its key is an unwrap-key key (RFC 8747 §3.3).
        using CoseKey kek = CoseKey.Symmetric(Rfc8747Kek, CoseAlgorithm.AesCcm16_64_128.Id, null);
        kek.SetKeyOperations([CoseKeyOperation.UnwrapKey]);
        using var v = new CwtValidator(Managed, new TestClock(1311281000), "s6BhdRkqt3");
        v.SetMac0Key(MacKey);
        v.SetCnfDecryptionKey(kek);
        using (var r = v.Validate(Mac0Token(EncryptedKeyClaims())))
        {
            Assert.True(r.IsValid, r.ToString());
            Assert.Equal(CnfMethod.EncryptedCoseKey, r.Confirmation.Method);
        }

        // The same key never opens a token: not as the Encrypt0 key, and not by being the cnf key.
        var e = Assert.Throws<ArgumentException>(() => v.SetEncrypt0Key(kek));
        Assert.Contains("KeyOperationNotPermitted", e.Message, StringComparison.Ordinal);
        using CoseKey sameBytes = CoseKey.Symmetric(Rfc8747Kek, CoseAlgorithm.AesCcm16_64_128.Id, null);
        using var enc = new CoseEncrypt0(Managed, sameBytes);
        byte[] claims = EncryptedKeyClaims();
        byte[] output = new byte[claims.Length + 64];
        int n = enc.Create(ByteRange.Of(claims), default(ByteRange), null, false, true, ByteRange.Of(output));
        using var refused = v.Validate(output.AsSpan(0, n).ToArray());
        Assert.False(refused.IsValid);
        Assert.Equal(CwtError.UnexpectedMessageType, refused.Error);
    }

    [Fact]
    public void A_key_marked_for_token_decryption_is_refused_as_a_cnf_decryption_key()
    {
        using CoseKey tokenKey = CoseKey.Symmetric(Rfc8747Kek, CoseAlgorithm.AesCcm16_64_128.Id, null);
        tokenKey.SetKeyOperations([CoseKeyOperation.Decrypt]);
        using var v = new CwtValidator(Managed, new TestClock(1311281000), "s6BhdRkqt3");
        var e = Assert.Throws<ArgumentException>(() => v.SetCnfDecryptionKey(tokenKey));
        Assert.Contains("KeyOperationNotPermitted", e.Message, StringComparison.Ordinal);
        Assert.Contains("unwrap", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encrypted_cose_key_with_the_wrong_key_gives_cnf_decryption_failed()
    {
        using var v = new CwtValidator(Managed, new TestClock(1311281000), "s6BhdRkqt3");
        v.SetMac0Key(MacKey);
        v.SetCnfDecryptionKey(CoseKey.Symmetric(Filled(16, 1), CoseAlgorithm.AesCcm16_64_128.Id, null));
        using var r = v.Validate(Mac0Token(EncryptedKeyClaims()));
        Assert.Equal(CwtError.CnfDecryptionFailed, r.Error);
        Assert.Equal(CoseError.DecryptionFailed, r.CoseError);
        Assert.Equal(CwtClaimKey.Cnf, r.Claim);
    }

    [Fact]
    public void Encrypted_cose_key_without_a_cnf_key_gives_cnf_key_missing()
    {
        using var v = new CwtValidator(Managed, new TestClock(1311281000), "s6BhdRkqt3");
        v.SetMac0Key(MacKey);
        Assert.Equal(CwtError.CnfKeyMissing, v.Validate(Mac0Token(EncryptedKeyClaims())).Error);
    }

    [Fact]
    public void Encrypted_cose_key_pinned_to_another_alg_is_a_cose_failure()
    {
        using var v = new CwtValidator(Managed, new TestClock(1311281000), "s6BhdRkqt3");
        v.SetMac0Key(MacKey);
        v.SetCnfDecryptionKey(CoseKey.Symmetric(Rfc8747Kek, CoseAlgorithm.AesCcm16_128_128.Id, null));
        using var r = v.Validate(Mac0Token(EncryptedKeyClaims()));
        Assert.Equal(CwtError.CnfDecryptionFailed, r.Error);
        Assert.Equal(CoseError.AlgorithmMismatch, r.CoseError);
    }

    [Fact]
    public void Multi_recipient_cose_encrypt_is_unsupported()
    {
        byte[] claims = EncryptedKeyClaims(w =>
        {
            w.WriteTag((Sfc.CborTag)96);
            w.WriteStartArray(4);
            w.WriteByteString([0xA1, 0x01, 0x0A]);
            w.WriteStartMap(0); w.WriteEndMap();
            w.WriteByteString(EncryptedKeyCiphertext);
            w.WriteStartArray(0); w.WriteEndArray();
            w.WriteEndArray();
        });
        using var v = Validator("s6BhdRkqt3", 1311281000);
        Assert.Equal(CwtError.UnsupportedCnf, v.Validate(Mac0Token(claims)).Error);
    }

    [Fact]
    public void Rfc8747_kid_cnf_is_read()
    {
        byte[] kid = Convert.FromHexString("dfd1aa976d8d4575a0fe34b96de2bfad");
        byte[] claims = Encode(w =>
        {
            w.WriteStartMap(4);
            w.WriteInt32(1); w.WriteTextString("coaps://as.example.com");
            w.WriteInt32(3); w.WriteTextString("coaps://resource.example.org");
            w.WriteInt32(4); w.WriteInt64(1361398824);
            w.WriteInt32(8); w.WriteStartMap(1); w.WriteInt32(3); w.WriteByteString(kid); w.WriteEndMap();
            w.WriteEndMap();
        });
        using var v = Validator("coaps://resource.example.org", 1361398000);
        using var r = v.Validate(Mac0Token(claims));

        Assert.True(r.IsValid, r.ToString());
        Assert.Equal(CnfMethod.Kid, r.Confirmation.Method);
        Assert.Equal(kid, r.Confirmation.Buffer.AsSpan(r.Confirmation.KidOffset, r.Confirmation.KidLength).ToArray());
        Assert.Null(r.Confirmation.ToCoseKey());
    }

    // RFC 9203 §3.2.1 figure: the token's claims set with osc.
    private static byte[] OscoreClaims(bool withId = true) => Encode(w =>
    {
        w.WriteStartMap(5);
        w.WriteInt32(3); w.WriteTextString("tempSensorInLivingRoom");
        w.WriteInt32(6); w.WriteInt64(1360189224);
        w.WriteInt32(4); w.WriteInt64(1360289224);
        w.WriteInt32(9); w.WriteTextString("temperature_g firmware_p");
        w.WriteInt32(8); w.WriteStartMap(1);
        w.WriteInt32(4); w.WriteStartMap(withId ? 2 : 1);
        if (withId)
        {
            w.WriteInt32(0); w.WriteByteString([0x01]);
        }

        w.WriteInt32(2); w.WriteByteString(Convert.FromHexString("f9af838368e353e78888e1426bd94e6f"));
        w.WriteEndMap(); w.WriteEndMap(); w.WriteEndMap();
    });

    [Fact]
    public void Rfc9203_oscore_input_material_is_read_from_an_encrypt0_token()
    {
        using var v = Validator("tempSensorInLivingRoom", 1360200000);
        using var r = v.Validate(Encrypt0Token(OscoreClaims()));

        Assert.True(r.IsValid, r.ToString());
        Assert.Equal("temperature_g firmware_p", r.Claims.GetScopeText());
        Assert.Equal(CnfMethod.OscoreInputMaterial, r.Confirmation.Method);
        OscoreInputMaterial osc = r.Confirmation.Oscore;
        Assert.Equal(new byte[] { 1 }, osc.Buffer.AsSpan(osc.IdOffset, osc.IdLength).ToArray());
        Assert.Equal(Convert.FromHexString("f9af838368e353e78888e1426bd94e6f"), osc.Buffer.AsSpan(osc.MasterSecretOffset, osc.MasterSecretLength).ToArray());
        Assert.Equal(-1, osc.Version);
        Assert.Equal(-1, osc.SaltLength);
        Assert.Equal(-1, osc.ContextIdLength);
        Assert.Equal(0, osc.Algorithm);
        Assert.DoesNotContain("f9af", r.Confirmation.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Oscore_input_material_in_a_mac0_token_is_key_material_in_clear()
    {
        using var v = Validator("tempSensorInLivingRoom", 1360200000);
        Assert.Equal(CwtError.KeyMaterialNotEncrypted, v.Validate(Mac0Token(OscoreClaims())).Error);
    }

    [Fact]
    public void Oscore_input_material_without_id_is_invalid()
    {
        using var v = Validator("tempSensorInLivingRoom", 1360200000);
        Assert.Equal(CwtError.InvalidCnf, v.Validate(Encrypt0Token(OscoreClaims(withId: false))).Error);
    }

    [Fact]
    public void Oscore_input_material_built_with_every_field_round_trips()
    {
        using var b = new CwtClaimsBuilder();
        b.SetAudience("rs1");
        b.SetExpiration(2000);
        b.SetConfirmationOscore([1], Filled(16, 2), 1, -10, 10, [3, 4], [5]);
        using var v = new CwtValidator(Managed, new TestClock(1500), "rs1");
        v.SetEncrypt0Key(AeadKey);
        using var issuer = new CwtIssuer(Managed, AeadKey);
        using var r = v.Validate(issuer.Create(b));

        Assert.True(r.IsValid, r.ToString());
        OscoreInputMaterial osc = r.Confirmation.Oscore;
        Assert.Equal(1, osc.Version);
        Assert.Equal(-10, osc.Hkdf);
        Assert.Equal(10, osc.Algorithm);
        Assert.Equal(new byte[] { 3, 4 }, osc.Buffer.AsSpan(osc.SaltOffset, osc.SaltLength).ToArray());
        Assert.Equal(new byte[] { 5 }, osc.Buffer.AsSpan(osc.ContextIdOffset, osc.ContextIdLength).ToArray());
        Assert.Equal(16, osc.MasterSecretLength);
    }

    [Fact]
    public void Rfc9203_kid_token_is_read()
    {
        byte[] claims = Encode(w =>
        {
            w.WriteStartMap(5);
            w.WriteInt32(3); w.WriteTextString("tempSensorInLivingRoom");
            w.WriteInt32(6); w.WriteInt64(1360189224);
            w.WriteInt32(4); w.WriteInt64(1360289224);
            w.WriteInt32(9); w.WriteTextString("temperature_h");
            w.WriteInt32(8); w.WriteStartMap(1); w.WriteInt32(3); w.WriteByteString([0x01]); w.WriteEndMap();
            w.WriteEndMap();
        });
        using var v = Validator("tempSensorInLivingRoom", 1360200000);
        using var r = v.Validate(Mac0Token(claims));
        Assert.True(r.IsValid, r.ToString());
        Assert.Equal(CnfMethod.Kid, r.Confirmation.Method);
        Assert.Equal(1, r.Confirmation.KidLength);
    }

    [Fact]
    public void Symmetric_cose_key_is_refused_in_a_mac0_token_and_accepted_in_an_encrypt0_token()
    {
        using var b = Basic();
        using CoseKey pop = CoseKey.Symmetric(Filled(16, 5), CoseAlgorithm.AesCcm16_64_128.Id, [7]);
        b.SetConfirmationKey(pop);
        byte[] claims = b.Encode();
        using var v = Validator("rs1", 1500);

        Assert.Equal(CwtError.KeyMaterialNotEncrypted, v.Validate(Mac0Token(claims)).Error);
        using var r = v.Validate(Encrypt0Token(claims));
        Assert.True(r.IsValid, r.ToString());
        Assert.Equal(CoseKeyType.Symmetric, r.Confirmation.KeyType);
        Assert.Equal(new byte[] { 7 }, r.Confirmation.Buffer.AsSpan(r.Confirmation.KidOffset, r.Confirmation.KidLength).ToArray());
        byte[] k = new byte[16];
        r.Confirmation.CopySymmetricKey(k, 0);
        Assert.Equal(Filled(16, 5), k);
    }

    [Fact]
    public void Encrypted_cose_key_built_here_round_trips()
    {
        using var b = Basic();
        using CoseKey pop = CoseKey.Symmetric(Filled(16, 5), CoseAlgorithm.AesCcm16_64_128.Id, [7]);
        using var kek = new CoseEncrypt0(Managed, CoseKey.Symmetric(Rfc8747Kek, CoseAlgorithm.AesCcm16_64_128.Id, null));
        b.SetConfirmationEncryptedKey(pop, kek, null);
        using var v = Validator("rs1", 1500);
        using var r = v.Validate(Mac0Token(b.Encode()));

        Assert.True(r.IsValid, r.ToString());
        Assert.Equal(CnfMethod.EncryptedCoseKey, r.Confirmation.Method);
        Assert.Equal(CoseAlgorithm.AesCcm16_64_128.Id, r.Confirmation.KeyAlgorithm);
    }

    public static TheoryData<string, string> BadCnfs => new()
    {
        { "a0", "InvalidCnf" },                                   // {}
        { "a1056101", "UnsupportedCnf" },                          // {5: "\x01"}: no known method
        { "a2034101044101", "InvalidCnf" },                        // kid and osc
        { "a10301", "InvalidCnf" },                                // kid not a bstr
        { "a101a10104", "InvalidCnf" },                            // COSE_Key symmetric without k
        { "a101a1010a", "UnsupportedCnf" },                        // kty 10
        { "a101a3010220012158200000000000000000000000000000000000000000000000000000000000000000", "InvalidCnf" }, // EC2 without y
        { "a101a401012006215820000000000000000000000000000000000000000000000000000000000000000023410a", "InvalidCnf" }, // OKP with d
        { "a101a2010401410a", "InvalidCnf" },                      // duplicate label 1
        { "a10201", "InvalidCnf" },                                // Encrypted_COSE_Key not an array
    };

    [Theory]
    [MemberData(nameof(BadCnfs))]
    public void Malformed_cnf_values_are_refused_with_a_reason(string cnfHex, string expected)
    {
        byte[] cnf = Convert.FromHexString(cnfHex);
        byte[] claims = Encode(w =>
        {
            w.WriteStartMap(3);
            w.WriteInt32(3); w.WriteTextString("rs1");
            w.WriteInt32(4); w.WriteInt64(2000);
            w.WriteInt32(8); w.WriteEncodedValue(cnf);
            w.WriteEndMap();
        });
        using var v = Validator("rs1", 1500);
        CwtValidationResult r;
        try
        {
            r = v.Validate(Mac0Token(claims));
        }
        catch (InvalidOperationException)
        {
            // System.Formats.Cbor refuses to write an ill-formed value: only possible for the "Malformed" row.
            Assert.Equal("Malformed", expected);
            return;
        }

        Assert.Equal(expected, r.Error.ToString());
    }
}

/// <summary>Decrypted key material does not outlive a refusal or the next validation (DESIGN.md §5).</summary>
public class CnfErasureTests
{
    [Fact]
    public void A_refused_encrypt0_token_leaves_no_plaintext_in_the_result()
    {
        CoseKey aead = CoseKey.Symmetric(Filled(16, 9), CoseAlgorithm.AesCcm16_64_128.Id, null);
        using var v = new CwtValidator(Managed, new TestClock(1500), "rs1");
        v.SetEncrypt0Key(aead);
        using var i = new CwtIssuer(Managed, aead);
        using var b = Basic();
        b.SetConfirmationKey(CoseKey.Symmetric(Filled(16, 0x55), CoseAlgorithm.AesCcm16_64_128.Id, null));
        byte[] good = i.Create(b);
        b.SetExpiration(1400);
        byte[] expired = i.Create(b);
        var r = new CwtValidationResult(256);

        Assert.Equal(CwtError.None, v.Validate(good, 0, good.Length, r));
        byte[] plaintext = r.Confirmation.Buffer;
        Assert.Contains((byte)0x55, plaintext);

        Assert.Equal(CwtError.Expired, v.Validate(expired, 0, expired.Length, r));
        Assert.All(plaintext, x => Assert.Equal(0, x));

        Assert.Equal(CwtError.None, v.Validate(good, 0, good.Length, r));
        r.Clear();
        Assert.All(plaintext, x => Assert.Equal(0, x));
    }
}
