using System;
using System.Collections.Generic;

using PopIoT.Core.Cose;

using Xunit;

using static PopIoT.Core.Tests.Cose.CoseTestSupport;

using Sfc = System.Formats.Cbor;

namespace PopIoT.Core.Tests.Cose;

/// <summary>
/// The attack suite for COSE (DESIGN.md §2 "Token manufacture/modification", "Algorithm rollback"):
/// each hostile message is refused with its own reason. Hand-made messages carry a correct MAC, so
/// the refusal can only come from the rule under test.
/// </summary>
public class CoseAttackTests
{
    private static readonly byte[] HmacK = Vector("A.2.2_k_hex");
    private static readonly byte[] Payload = "payload"u8.ToArray();
    private static readonly byte[] ProtectedAlg4 = [0xA1, 0x01, 0x04];

    private static CoseError VerifyMac0(byte[] message, Action<CoseMac0>? configure = null)
    {
        using var mac0 = new CoseMac0(Managed, KeySymmetric256Hmac());
        configure?.Invoke(mac0);
        return mac0.Verify(message).Error;
    }

    private static void NoUnprotected(Sfc.CborWriter w)
    {
        w.WriteStartMap(0);
        w.WriteEndMap();
    }

    // ---- exhaustive single-byte changes -------------------------------------------------------

    public static TheoryData<string> Vectors => new() { "A.3", "A.4", "A.5" };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Every_single_byte_change_outside_the_unprotected_bucket_is_refused(string vector)
    {
        byte[] message = vector switch
        {
            "A.3" => Vector("A.3_signed_cwt_sign1_es256_hex"),
            "A.4" => StripCwtTag(Vector("A.4_maced_cwt_tag61_mac0_hmac256_64_hex")),
            _ => Vector("A.5_encrypted_cwt_encrypt0_aes_ccm_16_64_128_hex"),
        };
        (int unprotectedStart, int unprotectedEnd) = UnprotectedContents(message);
        using var sign1 = new CoseSign1(Platform, KeyEcdsa256Public());
        using var mac0 = new CoseMac0(Managed, KeySymmetric256Hmac());
        using var enc = new CoseEncrypt0(Managed, KeySymmetric128());
        var result = new CoseResult();
        byte[] plaintext = new byte[message.Length];
        byte[] deltas = [0x01, 0x02, 0x10, 0x80, 0xFF];
        var reasons = new Dictionary<CoseError, int>();
        int cases = 0;

        for (int i = 0; i < message.Length; i++)
        {
            if (i >= unprotectedStart && i < unprotectedEnd)
            {
                continue; // kid (and A.5's IV) are not authenticated by design (RFC 9052 §3); A.5's IV is covered below.
            }

            foreach (byte d in deltas)
            {
                byte[] m = (byte[])message.Clone();
                m[i] ^= d;
                CoseError e = vector switch
                {
                    "A.3" => sign1.Verify(m, 0, m.Length, null, 0, 0, result),
                    "A.4" => mac0.Verify(m, 0, m.Length, null, 0, 0, result),
                    _ => enc.Decrypt(ByteRange.Of(m), default(ByteRange), ByteRange.Of(plaintext), result),
                };
                Assert.True(e != CoseError.None, $"{vector}: byte {i} ^ 0x{d:x2} still verified");
                Assert.Null(result.Payload);
                reasons[e] = reasons.GetValueOrDefault(e) + 1;
                cases++;
            }
        }

        Assert.True(cases > 400);
        Assert.True(reasons.Count >= 3, string.Join(", ", reasons));
    }

    [Fact]
    public void Every_single_byte_change_of_the_A5_iv_fails_decryption()
    {
        byte[] message = Vector("A.5_encrypted_cwt_encrypt0_aes_ccm_16_64_128_hex");
        int iv = message.AsSpan().IndexOf(Core.Tests.Crypto.CryptoTestSupport.Hex("99a0d7846e762c49ffe8a63e0b"));
        using var enc = new CoseEncrypt0(Managed, KeySymmetric128());
        for (int i = iv; i < iv + 13; i++)
        {
            byte[] m = (byte[])message.Clone();
            m[i] ^= 0x01;
            Assert.Equal(CoseError.DecryptionFailed, enc.Decrypt(m).Error);
        }
    }

    // ---- header rules -------------------------------------------------------------------------

    [Fact]
    public void A_hand_made_message_with_correct_mac_verifies_so_the_helper_is_sound()
    {
        Assert.Equal(CoseError.None, VerifyMac0(HandMadeMac0(HmacK, ProtectedAlg4, NoUnprotected, Payload)));
    }

    [Fact]
    public void Alg_in_the_unprotected_header_is_refused()
    {
        byte[] m = HandMadeMac0(HmacK, [], w => { w.WriteStartMap(1); w.WriteInt32(1); w.WriteInt32(4); w.WriteEndMap(); }, Payload);
        Assert.Equal(CoseError.AlgInUnprotectedHeader, VerifyMac0(m));
    }

    [Fact]
    public void Alg_in_both_buckets_is_a_duplicate_label()
    {
        byte[] m = HandMadeMac0(HmacK, ProtectedAlg4, w => { w.WriteStartMap(1); w.WriteInt32(1); w.WriteInt32(4); w.WriteEndMap(); }, Payload);
        Assert.Equal(CoseError.DuplicateLabel, VerifyMac0(m));
    }

    [Fact]
    public void Duplicate_label_in_the_protected_header_is_refused()
    {
        byte[] m = HandMadeMac0(HmacK, [0xA2, 0x01, 0x04, 0x01, 0x04], NoUnprotected, Payload);
        Assert.Equal(CoseError.DuplicateLabel, VerifyMac0(m));
    }

    [Fact]
    public void Duplicate_text_label_across_buckets_is_refused()
    {
        byte[] prot = Map(w => { w.WriteStartMap(2); w.WriteInt32(1); w.WriteInt32(4); w.WriteTextString("x"); w.WriteInt32(1); w.WriteEndMap(); });
        byte[] m = HandMadeMac0(HmacK, prot, w => { w.WriteStartMap(1); w.WriteTextString("x"); w.WriteInt32(2); w.WriteEndMap(); }, Payload);
        Assert.Equal(CoseError.DuplicateLabel, VerifyMac0(m));
    }

    [Fact]
    public void Missing_alg_is_refused()
    {
        Assert.Equal(CoseError.MissingAlgorithm, VerifyMac0(HandMadeMac0(HmacK, [], NoUnprotected, Payload)));
        Assert.Equal(CoseError.MissingAlgorithm, VerifyMac0(HandMadeMac0(HmacK, [0xA0], NoUnprotected, Payload)));
    }

    [Fact]
    public void A_message_alg_other_than_the_keys_is_an_algorithm_mismatch()
    {
        // HMAC 256/256 over the same key: a valid MAC, but the key pins HMAC 256/64.
        byte[] m = HandMadeMac0(HmacK, [0xA1, 0x01, 0x05], NoUnprotected, Payload, tagSize: 32);
        Assert.Equal(CoseError.AlgorithmMismatch, VerifyMac0(m));
    }

    [Fact]
    public void An_unknown_alg_is_unsupported()
    {
        Assert.Equal(CoseError.UnsupportedAlgorithm, VerifyMac0(HandMadeMac0(HmacK, [0xA1, 0x01, 0x18, 0x63], NoUnprotected, Payload)));
        Assert.Equal(CoseError.UnsupportedAlgorithm, VerifyMac0(HandMadeMac0(HmacK, [0xA1, 0x01, 0x63, 0x66, 0x6F, 0x6F], NoUnprotected, Payload)));
        Assert.Equal(CoseError.UnsupportedAlgorithm, VerifyMac0(HandMadeMac0(HmacK, [0xA1, 0x01, 0x3A, 0x7F, 0xFF, 0xFF, 0xFF], NoUnprotected, Payload)));
    }

    [Fact]
    public void A_symmetric_mac_key_offered_for_sign1_is_a_key_type_mismatch()
    {
        using var sign1 = new CoseSign1(Platform, KeySymmetric256Hmac());
        Assert.Equal(CoseError.KeyTypeMismatch, sign1.KeyError);
        Assert.Equal(CoseError.KeyTypeMismatch, sign1.Verify(Vector("A.3_signed_cwt_sign1_es256_hex")).Error);

        using var mac0 = new CoseMac0(Platform, KeyEcdsa256Public());
        Assert.Equal(CoseError.KeyTypeMismatch, mac0.Verify(Vector("A.7_maced_cwt_float_iat_hex")).Error);

        // A symmetric key pinned to ES256 has the right alg kind but the wrong kty.
        using var sign1b = new CoseSign1(Platform, CoseKey.Symmetric(HmacK, CoseAlgorithm.ES256.Id, null));
        Assert.Equal(CoseError.KeyTypeMismatch, sign1b.KeyError);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(0)]
    [InlineData(32)]
    public void A_tag_of_the_wrong_length_is_its_own_reason(int tagSize)
    {
        byte[] m = tagSize <= 32
            ? HandMadeMac0(HmacK, ProtectedAlg4, NoUnprotected, Payload, tagSize: tagSize)
            : throw new ArgumentOutOfRangeException(nameof(tagSize));
        Assert.Equal(CoseError.TagLengthInvalid, VerifyMac0(m));
    }

    [Fact]
    public void A_wrong_mac_is_a_tag_mismatch()
    {
        byte[] m = HandMadeMac0(HmacK, ProtectedAlg4, NoUnprotected, Payload);
        m[^1] ^= 1;
        Assert.Equal(CoseError.TagMismatch, VerifyMac0(m));
    }

    [Fact]
    public void Crit_listing_an_unknown_label_is_refused_unless_the_application_understands_it()
    {
        byte[] prot = Map(w => { w.WriteStartMap(3); w.WriteInt32(1); w.WriteInt32(4); w.WriteInt32(2); w.WriteStartArray(1); w.WriteInt32(99); w.WriteEndArray(); w.WriteInt32(99); w.WriteInt32(0); w.WriteEndMap(); });
        byte[] m = HandMadeMac0(HmacK, prot, NoUnprotected, Payload);

        Assert.Equal(CoseError.UnknownCriticalHeader, VerifyMac0(m));
        Assert.Equal(CoseError.None, VerifyMac0(m, c => c.SetUnderstoodCriticalLabels([99])));
    }

    [Fact]
    public void Crit_listing_a_text_label_is_refused()
    {
        byte[] prot = Map(w => { w.WriteStartMap(3); w.WriteInt32(1); w.WriteInt32(4); w.WriteInt32(2); w.WriteStartArray(1); w.WriteTextString("ext"); w.WriteEndArray(); w.WriteTextString("ext"); w.WriteInt32(0); w.WriteEndMap(); });
        Assert.Equal(CoseError.UnknownCriticalHeader, VerifyMac0(HandMadeMac0(HmacK, prot, NoUnprotected, Payload)));
    }

    [Fact]
    public void Crit_listing_an_understood_protected_label_is_accepted()
    {
        byte[] prot = Map(w => { w.WriteStartMap(2); w.WriteInt32(1); w.WriteInt32(4); w.WriteInt32(2); w.WriteStartArray(1); w.WriteInt32(1); w.WriteEndArray(); w.WriteEndMap(); });
        Assert.Equal(CoseError.None, VerifyMac0(HandMadeMac0(HmacK, prot, NoUnprotected, Payload)));
    }

    [Fact]
    public void Crit_that_is_empty_or_lists_an_absent_or_unprotected_label_is_invalid()
    {
        byte[] empty = Map(w => { w.WriteStartMap(2); w.WriteInt32(1); w.WriteInt32(4); w.WriteInt32(2); w.WriteStartArray(0); w.WriteEndArray(); w.WriteEndMap(); });
        Assert.Equal(CoseError.InvalidCrit, VerifyMac0(HandMadeMac0(HmacK, empty, NoUnprotected, Payload)));

        byte[] absent = Map(w => { w.WriteStartMap(2); w.WriteInt32(1); w.WriteInt32(4); w.WriteInt32(2); w.WriteStartArray(1); w.WriteInt32(3); w.WriteEndArray(); w.WriteEndMap(); });
        Assert.Equal(CoseError.InvalidCrit, VerifyMac0(HandMadeMac0(HmacK, absent, NoUnprotected, Payload)));

        // kid listed as critical but carried unprotected (RFC 9052 §3.1: a fatal error).
        byte[] kidCrit = Map(w => { w.WriteStartMap(2); w.WriteInt32(1); w.WriteInt32(4); w.WriteInt32(2); w.WriteStartArray(1); w.WriteInt32(4); w.WriteEndArray(); w.WriteEndMap(); });
        byte[] m = HandMadeMac0(HmacK, kidCrit, w => { w.WriteStartMap(1); w.WriteInt32(4); w.WriteByteString([1]); w.WriteEndMap(); }, Payload);
        Assert.Equal(CoseError.InvalidCrit, VerifyMac0(m));

        byte[] notArray = Map(w => { w.WriteStartMap(2); w.WriteInt32(1); w.WriteInt32(4); w.WriteInt32(2); w.WriteInt32(1); w.WriteEndMap(); });
        Assert.Equal(CoseError.InvalidCrit, VerifyMac0(HandMadeMac0(HmacK, notArray, NoUnprotected, Payload)));
    }

    [Fact]
    public void Crit_in_the_unprotected_header_is_refused()
    {
        byte[] m = HandMadeMac0(HmacK, ProtectedAlg4, w => { w.WriteStartMap(1); w.WriteInt32(2); w.WriteStartArray(1); w.WriteInt32(1); w.WriteEndArray(); w.WriteEndMap(); }, Payload);
        Assert.Equal(CoseError.CritNotProtected, VerifyMac0(m));
    }

    [Fact]
    public void Wrong_value_types_are_invalid_header_values()
    {
        byte[] kidText = HandMadeMac0(HmacK, ProtectedAlg4, w => { w.WriteStartMap(1); w.WriteInt32(4); w.WriteTextString("kid"); w.WriteEndMap(); }, Payload);
        Assert.Equal(CoseError.InvalidHeaderValue, VerifyMac0(kidText));

        byte[] algBytes = HandMadeMac0(HmacK, [0xA1, 0x01, 0x41, 0x04], NoUnprotected, Payload);
        Assert.Equal(CoseError.InvalidHeaderValue, VerifyMac0(algBytes));

        byte[] ctNegative = HandMadeMac0(HmacK, ProtectedAlg4, w => { w.WriteStartMap(1); w.WriteInt32(3); w.WriteInt32(-1); w.WriteEndMap(); }, Payload);
        Assert.Equal(CoseError.InvalidHeaderValue, VerifyMac0(ctNegative));

        byte[] labelBytes = HandMadeMac0(HmacK, ProtectedAlg4, w => { w.WriteStartMap(1); w.WriteByteString([1]); w.WriteInt32(0); w.WriteEndMap(); }, Payload);
        Assert.Equal(CoseError.InvalidHeaderValue, VerifyMac0(labelBytes));
    }

    [Fact]
    public void Content_format_and_kid_are_reported_on_success()
    {
        byte[] m = HandMadeMac0(HmacK, ProtectedAlg4, w => { w.WriteStartMap(2); w.WriteInt32(3); w.WriteInt32(61); w.WriteInt32(4); w.WriteByteString([7, 8]); w.WriteEndMap(); }, Payload);
        using var mac0 = new CoseMac0(Managed, KeySymmetric256Hmac());
        CoseResult r = mac0.Verify(m);
        Assert.Equal(CoseError.None, r.Error);
        Assert.Equal(61, r.ContentFormat);
        Assert.Equal(new byte[] { 7, 8 }, m.AsSpan(r.KidOffset, r.KidLength).ToArray());
    }

    [Fact]
    public void Too_many_labels_exceed_the_limit()
    {
        byte[] m = HandMadeMac0(HmacK, ProtectedAlg4, w =>
        {
            w.WriteStartMap(CoseLimits.MaxHeaderLabels);
            for (int i = 0; i < CoseLimits.MaxHeaderLabels; i++)
            {
                w.WriteInt32(100 + i);
                w.WriteInt32(0);
            }

            w.WriteEndMap();
        }, Payload);
        Assert.Equal(CoseError.LimitExceeded, VerifyMac0(m));
    }

    // ---- tags and structure -------------------------------------------------------------------

    [Fact]
    public void Wrong_cbor_tags_are_refused()
    {
        Assert.Equal(CoseError.WrongTag, VerifyMac0(HandMadeMac0(HmacK, ProtectedAlg4, NoUnprotected, Payload, tag: 18)));
        Assert.Equal(CoseError.WrongTag, VerifyMac0(HandMadeMac0(HmacK, ProtectedAlg4, NoUnprotected, Payload, tag: 61)));

        using var mac0 = new CoseMac0(Managed, KeySymmetric256Hmac());
        byte[] doubleTag = [0xD1, .. HandMadeMac0(HmacK, ProtectedAlg4, NoUnprotected, Payload)];
        Assert.Equal(CoseError.WrongTag, mac0.Verify(doubleTag).Error);

        using var sign1 = new CoseSign1(Platform, KeyEcdsa256Public());
        byte[] a3AsMac0 = Vector("A.3_signed_cwt_sign1_es256_hex");
        a3AsMac0[0] = 0xD1;
        Assert.Equal(CoseError.WrongTag, sign1.Verify(a3AsMac0).Error);

        using var enc = new CoseEncrypt0(Managed, KeySymmetric128());
        Assert.Equal(CoseError.WrongTag, enc.Decrypt(Vector("A.7_maced_cwt_float_iat_hex")).Error);
    }

    [Fact]
    public void Untagged_messages_are_accepted_unless_a_tag_is_required()
    {
        byte[] untagged = HandMadeMac0(HmacK, ProtectedAlg4, NoUnprotected, Payload, tag: null);
        Assert.Equal(CoseError.None, VerifyMac0(untagged));
        Assert.Equal(CoseError.MissingTag, VerifyMac0(untagged, c => c.RequireTag = true));
        Assert.Equal(CoseError.None, VerifyMac0(HandMadeMac0(HmacK, ProtectedAlg4, NoUnprotected, Payload), c => c.RequireTag = true));
    }

    [Fact]
    public void Detached_payload_is_refused_by_name()
    {
        var w = new Sfc.CborWriter();
        w.WriteTag((Sfc.CborTag)17);
        w.WriteStartArray(4);
        w.WriteByteString(ProtectedAlg4);
        NoUnprotected(w);
        w.WriteNull();
        w.WriteByteString(new byte[8]);
        w.WriteEndArray();
        Assert.Equal(CoseError.DetachedContentNotSupported, VerifyMac0(w.Encode()));
    }

    [Fact]
    public void Trailing_bytes_truncation_and_wrong_shapes_are_malformed_with_an_offset()
    {
        byte[] good = HandMadeMac0(HmacK, ProtectedAlg4, NoUnprotected, Payload);
        using var mac0 = new CoseMac0(Managed, KeySymmetric256Hmac());

        CoseResult trailing = mac0.Verify([.. good, 0x00]);
        Assert.Equal(CoseError.Malformed, trailing.Error);
        Assert.Equal(good.Length, trailing.ErrorOffset);

        CoseResult truncated = mac0.Verify(good.AsSpan(0, good.Length - 1).ToArray());
        Assert.Equal(CoseError.Malformed, truncated.Error);
        Assert.True(truncated.ErrorOffset >= 0);

        Assert.Equal(CoseError.Malformed, mac0.Verify([0xD1, 0x83, 0x40, 0xA0, 0x40]).Error);
        Assert.Equal(CoseError.Malformed, mac0.Verify([]).Error);
        Assert.Equal(CoseError.Malformed, mac0.Verify(HandMadeMac0(HmacK, [0xA1, 0x01, 0x04, 0x00], NoUnprotected, Payload)).Error);
        Assert.Equal(CoseError.Malformed, mac0.Verify(HandMadeMac0(HmacK, [0x81, 0x01], NoUnprotected, Payload)).Error);
    }

    // ---- key rules ----------------------------------------------------------------------------

    [Fact]
    public void A_key_without_alg_needs_an_explicit_allowed_algorithm()
    {
        byte[] a7 = Vector("A.7_maced_cwt_float_iat_hex");
        using var noAlg = CoseKey.Symmetric(HmacK, 0, null);

        using (var mac0 = new CoseMac0(Managed, noAlg))
        {
            Assert.Equal(CoseError.KeyAlgorithmMissing, mac0.Verify(a7).Error);
        }

        using (var mac0 = new CoseMac0(Managed, noAlg, CoseAlgorithm.Hmac256_64.Id))
        {
            Assert.Equal(CoseError.None, mac0.Verify(a7).Error);
        }

        using (var mac0 = new CoseMac0(Managed, noAlg, CoseAlgorithm.Hmac256_256.Id))
        {
            Assert.Equal(CoseError.AlgorithmMismatch, mac0.Verify(a7).Error);
        }

        // A key with an alg and a different explicit alg: refused whatever the message says.
        using var mac0b = new CoseMac0(Managed, KeySymmetric256Hmac(), CoseAlgorithm.Hmac256_256.Id);
        Assert.Equal(CoseError.AlgorithmMismatch, mac0b.KeyError);
    }

    [Fact]
    public void Key_ops_must_permit_the_operation()
    {
        using CoseKey key = KeySymmetric256Hmac();
        key.SetKeyOperations([CoseKeyOperation.MacCreate]);
        using var mac0 = new CoseMac0(Managed, key);
        Assert.Equal(CoseError.KeyOperationNotPermitted, mac0.Verify(Vector("A.7_maced_cwt_float_iat_hex")).Error);
        byte[] output = new byte[100];
        Assert.True(mac0.Create(ByteRange.Of(Payload), default(ByteRange), false, true, ByteRange.Of(output)) > 0);

        using CoseKey verifyOnly = KeySymmetric256Hmac();
        verifyOnly.SetKeyOperations([CoseKeyOperation.MacVerify]);
        using var mac0v = new CoseMac0(Managed, verifyOnly);
        Assert.Equal(CoseError.None, mac0v.Verify(Vector("A.7_maced_cwt_float_iat_hex")).Error);
        Assert.Throws<ArgumentException>(() => mac0v.Create(ByteRange.Of(Payload), default(ByteRange), false, true, ByteRange.Of(output)));

        using CoseKey encryptOnly = KeySymmetric128();
        encryptOnly.SetKeyOperations([CoseKeyOperation.Encrypt]);
        using var enc = new CoseEncrypt0(Managed, encryptOnly);
        Assert.Equal(CoseError.KeyOperationNotPermitted, enc.Decrypt(Vector("A.5_encrypted_cwt_encrypt0_aes_ccm_16_64_128_hex")).Error);
    }

    [Fact]
    public void A_wrong_length_key_is_invalid()
    {
        using var mac0 = new CoseMac0(Managed, CoseKey.Symmetric(new byte[16], CoseAlgorithm.Hmac256_64.Id, null));
        Assert.Equal(CoseError.InvalidKey, mac0.KeyError);
        using var enc = new CoseEncrypt0(Managed, CoseKey.Symmetric(new byte[32], CoseAlgorithm.AesCcm16_64_128.Id, null));
        Assert.Equal(CoseError.InvalidKey, enc.KeyError);
    }

    [Fact]
    public void A_disposed_key_cannot_be_bound()
    {
        CoseKey key = KeySymmetric256Hmac();
        key.Dispose();
        using var mac0 = new CoseMac0(Managed, key);
        Assert.Equal(CoseError.InvalidKey, mac0.Verify(Vector("A.7_maced_cwt_float_iat_hex")).Error);
    }

    // ---- Encrypt0 and Sign1 specifics ---------------------------------------------------------

    [Fact]
    public void Encrypt0_failed_tag_releases_no_plaintext()
    {
        byte[] m = Vector("A.5_encrypted_cwt_encrypt0_aes_ccm_16_64_128_hex");
        m[^1] ^= 0x40;
        using var enc = new CoseEncrypt0(Managed, KeySymmetric128());
        byte[] plaintext = new byte[200];
        Array.Fill(plaintext, (byte)0xEE);
        var r = new CoseResult();

        Assert.Equal(CoseError.DecryptionFailed, enc.Decrypt(ByteRange.Of(m), default(ByteRange), new ByteRange(plaintext, 10, 150), r));
        Assert.All(plaintext.AsSpan(10, Claims.Length).ToArray(), b => Assert.Equal(0, b));
        Assert.Null(r.Payload);
    }

    [Fact]
    public void Encrypt0_reasons_for_iv_and_buffers()
    {
        using var enc = new CoseEncrypt0(Managed, KeySymmetric128());
        byte[] a5 = Vector("A.5_encrypted_cwt_encrypt0_aes_ccm_16_64_128_hex");
        var r = new CoseResult();

        Assert.Equal(CoseError.PlaintextBufferTooSmall, enc.Decrypt(ByteRange.Of(a5), default(ByteRange), new ByteRange(new byte[10], 0, 10), r));
        Assert.Equal(CoseError.MissingIv, enc.Decrypt(Encrypt0With(w => { w.WriteStartMap(0); w.WriteEndMap(); })).Error);
        Assert.Equal(CoseError.IvLengthInvalid, enc.Decrypt(Encrypt0With(w => { w.WriteStartMap(1); w.WriteInt32(5); w.WriteByteString(new byte[12]); w.WriteEndMap(); })).Error);
        Assert.Equal(CoseError.IvAndPartialIv, enc.Decrypt(Encrypt0With(w => { w.WriteStartMap(2); w.WriteInt32(5); w.WriteByteString(new byte[13]); w.WriteInt32(6); w.WriteByteString([1]); w.WriteEndMap(); })).Error);
        Assert.Equal(CoseError.MissingIv, enc.Decrypt(Encrypt0With(w => { w.WriteStartMap(1); w.WriteInt32(6); w.WriteByteString([1]); w.WriteEndMap(); })).Error);
        Assert.Equal(CoseError.TagLengthInvalid, enc.Decrypt(Encrypt0With(w => { w.WriteStartMap(1); w.WriteInt32(5); w.WriteByteString(new byte[13]); w.WriteEndMap(); }, new byte[7])).Error);
        Assert.Throws<ArgumentException>(() => enc.Decrypt(ByteRange.Of(a5), default(ByteRange), ByteRange.Of(a5), r));
    }

    [Fact]
    public void Encrypt0_partial_iv_is_combined_with_the_context_iv()
    {
        // RFC 9052 §3.1: nonce = context IV XOR left-padded Partial IV.
        byte[] contextIv = Core.Tests.Crypto.CryptoTestSupport.Hex("0102030405060708090a0b0c0d");
        byte[] partialIv = [0x00, 0x2A];
        byte[] nonce = (byte[])contextIv.Clone();
        nonce[11] ^= partialIv[0];
        nonce[12] ^= partialIv[1];
        using var enc = new CoseEncrypt0(Managed, KeySymmetric128());
        byte[] output = new byte[200];
        int n = enc.Create(ByteRange.Of(Payload), default(ByteRange), nonce, false, true, ByteRange.Of(output));

        // Swap the IV header for a Partial IV (unprotected, so the ciphertext stays valid).
        var rd = new Sfc.CborReader(output.AsMemory(0, n));
        rd.ReadTag();
        rd.ReadStartArray();
        byte[] prot = rd.ReadByteString();
        rd.SkipValue();
        byte[] ciphertext = rd.ReadByteString();
        var w = new Sfc.CborWriter();
        w.WriteTag((Sfc.CborTag)16);
        w.WriteStartArray(3);
        w.WriteByteString(prot);
        w.WriteStartMap(1);
        w.WriteInt32(6);
        w.WriteByteString(partialIv);
        w.WriteEndMap();
        w.WriteByteString(ciphertext);
        w.WriteEndArray();
        byte[] withPartialIv = w.Encode();

        Assert.Equal(CoseError.MissingIv, enc.Decrypt(withPartialIv).Error);
        enc.SetContextIv(contextIv, 0, contextIv.Length);
        CoseResult r = enc.Decrypt(withPartialIv);
        Assert.Equal(CoseError.None, r.Error);
        Assert.Equal(Payload, r.PayloadToArray());

        // The same through the key's Base IV.
        using CoseKey key = KeySymmetric128();
        key.SetBaseIv(contextIv);
        using var enc2 = new CoseEncrypt0(Managed, key);
        Assert.Equal(CoseError.None, enc2.Decrypt(withPartialIv).Error);
    }

    [Fact]
    public void Sign1_signature_of_wrong_length_or_value()
    {
        using var sign1 = new CoseSign1(Platform, KeyEcdsa256Public());
        byte[] a3 = Vector("A.3_signed_cwt_sign1_es256_hex");

        byte[] flipped = (byte[])a3.Clone();
        flipped[^5] ^= 1;
        Assert.Equal(CoseError.SignatureInvalid, sign1.Verify(flipped).Error);

        // Re-encode with a 63-byte signature.
        byte[] shorter = [.. a3.AsSpan(0, a3.Length - 66), 0x58, 63, .. a3.AsSpan(a3.Length - 64, 63)];
        Assert.Equal(CoseError.SignatureLengthInvalid, sign1.Verify(shorter).Error);

        // A public key cannot sign.
        Assert.Throws<ArgumentException>(() => sign1.Create(new ByteRange([1], 0, 1), default(ByteRange), false, true, new ByteRange(new byte[200], 0, 200)));
    }

    [Fact]
    public void Sign1_refuses_an_off_curve_public_key()
    {
        byte[] y = Vector("A.2.3_y_hex");
        y[31] ^= 1;
        using var sign1 = new CoseSign1(Platform, CoseKey.Ec2P256(Vector("A.2.3_x_hex"), y, null, CoseAlgorithm.ES256.Id, null));
        Assert.Equal(CoseError.InvalidKey, sign1.KeyError);
    }

    private static byte[] Encrypt0With(Action<Sfc.CborWriter> unprotected, byte[]? ciphertext = null)
    {
        var w = new Sfc.CborWriter();
        w.WriteTag((Sfc.CborTag)16);
        w.WriteStartArray(3);
        w.WriteByteString([0xA1, 0x01, 0x0A]);
        unprotected(w);
        w.WriteByteString(ciphertext ?? new byte[20]);
        w.WriteEndArray();
        return w.Encode();
    }

    /// <summary>Start and end (exclusive) of the unprotected map's contents, after its head.</summary>
    private static (int Start, int End) UnprotectedContents(byte[] message)
    {
        var r = new Sfc.CborReader(message);
        if (r.PeekState() == Sfc.CborReaderState.Tag)
        {
            r.ReadTag();
        }

        r.ReadStartArray();
        r.SkipValue();
        r.ReadStartMap();
        int start = message.Length - r.BytesRemaining;
        while (r.PeekState() != Sfc.CborReaderState.EndMap)
        {
            r.SkipValue();
        }

        return (start, message.Length - r.BytesRemaining);
    }
}
