using Xunit;

namespace PopIoT.Tests.Cli;

/// <summary><c>popiot cose verify|create</c> and <c>popiot key new</c> against RFC 8392 Appendix A and each other.</summary>
public class CoseCommandTests
{
    private static string Line(CliRunner.Result r) => r.Out.TrimEnd('\n', '\r');

    [Fact]
    public void Verifies_the_rfc8392_a4_mac0_and_prints_the_claims()
    {
        var r = CliRunner.Run("cose", "verify", "--key", Rfc8392Vectors.HmacKey, Rfc8392Vectors.Hex("A.4_maced_cwt_tag61_mac0_hmac256_64_hex"));

        Assert.Equal("", r.Error);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(Rfc8392Vectors.Claims, Line(r));
    }

    [Fact]
    public void Decrypts_the_rfc8392_a5_encrypt0_with_the_a21_key()
    {
        var r = CliRunner.Run("cose", "verify", "--key", Rfc8392Vectors.Hex("A.2.1_key_symmetric128_cose_key_hex"), Rfc8392Vectors.Hex("A.5_encrypted_cwt_encrypt0_aes_ccm_16_64_128_hex"));

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(Rfc8392Vectors.Claims, Line(r));
    }

    [Fact]
    public void Verifies_the_rfc8392_a3_sign1_with_the_a23_key()
    {
        var r = CliRunner.Run("cose", "verify", "--key", Rfc8392Vectors.Hex("A.2.3_key_ecdsa_p256_cose_key_hex"), Rfc8392Vectors.Hex("A.3_signed_cwt_sign1_es256_hex"));

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(Rfc8392Vectors.Claims, Line(r));
    }

    [Fact]
    public void The_published_a22_key_is_pinned_to_aes_ccm_and_so_refuses_the_hmac_token()
    {
        // The message cannot pick the algorithm: the key is pinned to AES-CCM-16-64-128 (10), an AEAD
        // algorithm, so it cannot serve a COSE_Mac0 at all.
        var r = CliRunner.Run("cose", "verify", "--key", Rfc8392Vectors.Hex("A.2.2_key_symmetric256_cose_key_hex"), Rfc8392Vectors.Hex("A.4_maced_cwt_tag61_mac0_hmac256_64_hex"));

        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("popiot: rejected: KeyTypeMismatch: ", r.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 2)] // a protected-header byte: the header no longer parses (malformed input, exit 2)
    [InlineData(30, 1)] // a payload byte: well formed, the tag does not verify
    [InlineData(-1, 1)] // the last tag byte
    public void A_changed_byte_is_rejected(int position, int exitCode)
    {
        byte[] token = Convert.FromHexString(Rfc8392Vectors.Hex("A.4_maced_cwt_tag61_mac0_hmac256_64_hex"));
        int i = position >= 0 ? 5 + position : token.Length - 1;
        token[i] ^= 0x01;

        var r = CliRunner.Run("cose", "verify", "--key", Rfc8392Vectors.HmacKey, Convert.ToHexStringLower(token));

        Assert.Equal(exitCode, r.ExitCode);
        Assert.Equal("", r.Out);
        Assert.StartsWith("popiot: rejected: ", r.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mac0", "oct", "HMAC 256/64")]
    [InlineData("mac0", "oct", "5")]
    [InlineData("encrypt0", "oct", "AES-CCM-16-64-128")]
    [InlineData("encrypt0", "oct", "aes-ccm-64-128-128")]
    [InlineData("encrypt0", "oct", "A128GCM")]
    [InlineData("encrypt0", "oct", "A256GCM")]
    [InlineData("sign1", "EC2", "ES256")]
    [InlineData("sign1", "OKP", "EdDSA")]
    public void Keys_made_by_key_new_create_messages_that_verify_and_only_with_the_right_aad(string type, string kty, string alg)
    {
        string dir = Directory.CreateTempSubdirectory("popiot-key").FullName;
        try
        {
            string pubFile = Path.Combine(dir, "pub.hex");
            string[] keyArgs = kty == "oct" ? ["key", "new", "--kty", kty, "--alg", alg, "--kid", "0a0b"] : ["key", "new", "--kty", kty, "--kid", "0a0b", "--public-out", pubFile];
            var key = CliRunner.Run(keyArgs);
            Assert.Equal(0, key.ExitCode);
            string verifyKey = kty == "oct" ? Line(key) : "@" + pubFile;

            var created = CliRunner.Run("cose", "create", type, "--key", Line(key), "--alg", alg, "--payload", "c0ffee", "--external-aad", "0102");
            Assert.Equal("", created.Error);
            Assert.Equal(0, created.ExitCode);

            var ok = CliRunner.Run("cose", "verify", "--key", verifyKey, "--external-aad", "0102", Line(created));
            Assert.Equal(0, ok.ExitCode);
            Assert.Equal("c0ffee", Line(ok));

            var wrongAad = CliRunner.Run("cose", "verify", "--key", verifyKey, "--external-aad", "0103", Line(created));
            Assert.Equal(1, wrongAad.ExitCode);
            Assert.Matches("^popiot: rejected: (TagMismatch|DecryptionFailed|SignatureInvalid): ", wrongAad.Error);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Create_reproduces_rfc8392_a5_byte_for_byte_with_its_iv()
    {
        string a5 = Rfc8392Vectors.Hex("A.5_encrypted_cwt_encrypt0_aes_ccm_16_64_128_hex");

        var r = CliRunner.Run("cose", "create", "encrypt0", "--key", Rfc8392Vectors.Hex("A.2.1_key_symmetric128_cose_key_hex"),
            "--alg", "AES-CCM-16-64-128", "--iv", "99a0d7846e762c49ffe8a63e0b", "--payload", Rfc8392Vectors.Claims);

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(a5, Line(r));
    }

    [Fact]
    public void Create_reproduces_rfc8392_a4_inside_its_cwt_tag()
    {
        var r = CliRunner.Run("cose", "create", "mac0", "--key", Rfc8392Vectors.HmacKey, "--alg", "HMAC256/64", "--payload", Rfc8392Vectors.Claims);

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(Rfc8392Vectors.Hex("A.4_maced_cwt_tag61_mac0_hmac256_64_hex")[4..], Line(r));
    }

    [Theory]
    [InlineData(new[] { "--kty", "oct", "--alg", "HMAC 256/64" }, new[] { 9, 10 })]
    [InlineData(new[] { "--kty", "oct", "--alg", "AES-CCM-16-64-128" }, new[] { 3, 4 })]
    [InlineData(new[] { "--kty", "oct", "--alg", "AES-CCM-16-64-128", "--purpose", "cnf" }, new[] { 5, 6 })]
    [InlineData(new[] { "--kty", "EC2" }, new[] { 1, 2 })]
    [InlineData(new[] { "--kty", "oct" }, new int[0])]
    public void Key_new_writes_one_purpose_in_key_ops(string[] args, int[] ops)
    {
        var r = CliRunner.Run(["key", "new", .. args]);
        Assert.True(r.ExitCode == 0, r.Error);
        byte[] encoded = Convert.FromHexString(Line(r));
        Assert.Equal(PopIoT.Core.Cose.CoseError.None, PopIoT.Core.Cose.CoseKey.Decode(encoded, 0, encoded.Length, out PopIoT.Core.Cose.CoseKey key));
        using (key)
        {
            Assert.Equal(ops.Length > 0, key.HasKeyOperations);
            Assert.Equal(ops, Enumerable.Range(1, 10).Where(op => key.HasKeyOperations && key.Permits(op)).ToArray());
        }
    }

    [Fact]
    public void Key_new_public_out_is_verify_only_and_purpose_cnf_needs_an_aead_key()
    {
        string pub = Path.Combine(Path.GetTempPath(), "popiot-pub-" + Guid.NewGuid().ToString("N") + ".key");
        try
        {
            Assert.Equal(0, CliRunner.Run("key", "new", "--kty", "OKP", "--public-out", pub).ExitCode);
            byte[] encoded = Convert.FromHexString(File.ReadAllText(pub).Trim());
            Assert.Equal(PopIoT.Core.Cose.CoseError.None, PopIoT.Core.Cose.CoseKey.Decode(encoded, 0, encoded.Length, out PopIoT.Core.Cose.CoseKey key));
            using (key)
            {
                Assert.True(key.Permits(PopIoT.Core.Cose.CoseKeyOperation.Verify));
                Assert.False(key.Permits(PopIoT.Core.Cose.CoseKeyOperation.Sign));
            }
        }
        finally
        {
            File.Delete(pub);
        }

        var mac = CliRunner.Run("key", "new", "--kty", "oct", "--alg", "HMAC 256/64", "--purpose", "cnf");
        Assert.Equal(2, mac.ExitCode);
        Assert.Contains("--purpose cnf needs an AEAD key", mac.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Untagged_messages_are_told_apart_by_shape_and_key_type()
    {
        string key = Line(CliRunner.Run("key", "new", "--kty", "oct", "--alg", "AES-CCM-16-128-128"));
        var created = CliRunner.Run("cose", "create", "encrypt0", "--key", key, "--alg", "AES-CCM-16-128-128", "--payload", "00", "--untagged");
        Assert.StartsWith("83", Line(created), StringComparison.Ordinal);

        var r = CliRunner.Run("cose", "verify", "--key", key, Line(created));

        Assert.Equal(0, r.ExitCode);
        Assert.Equal("00", Line(r));
    }

    [Theory]
    [InlineData(new[] { "cose", "create", "mac0", "--key", "a20104205820000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "--alg", "ES256", "--payload", "00" }, "popiot: ES256 is not a mac0 algorithm")]
    [InlineData(new[] { "cose", "create", "mac0", "--key", "a20104205820000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "--alg", "HMAC 999", "--payload", "00" }, "popiot: unknown or unsupported algorithm 'HMAC 999'; use one of: ")]
    [InlineData(new[] { "cose", "verify", "--key", "a1", "d0" }, "popiot: --key is not a usable COSE_Key: Malformed: ")]
    [InlineData(new[] { "cose", "create", "encrypt0", "--key", "a301040a03204f000102030405060708090a0b0c0d0e0f", "--alg", "A128GCM", "--payload", "00" }, "popiot: --key is not a usable COSE_Key")]
    [InlineData(new[] { "key", "new", "--kty", "oct", "--alg", "ES256" }, "popiot: ES256 needs an asymmetric key (--kty EC2 or OKP)")]
    [InlineData(new[] { "key", "new", "--kty", "oct", "--public-out", "/tmp/x" }, "popiot: a symmetric key has no public part; --public-out applies to EC2 and OKP keys")]
    [InlineData(new[] { "key", "new", "--kty", "EC2", "--alg", "EdDSA" }, "popiot: this key type is used with ES256, not EdDSA")]
    public void Bad_arguments_exit_2_with_a_clear_message(string[] args, string messageStart)
    {
        var r = CliRunner.Run(args);

        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith(messageStart, r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_iv_of_the_wrong_length_is_refused()
    {
        string key = Line(CliRunner.Run("key", "new", "--kty", "oct", "--alg", "AES-CCM-64-64-128"));

        var r = CliRunner.Run("cose", "create", "encrypt0", "--key", key, "--alg", "AES-CCM-64-64-128", "--payload", "00", "--iv", "00112233445566778899aabbcc");

        Assert.Equal(2, r.ExitCode);
        Assert.Equal("popiot: --iv must be 7 bytes for AES-CCM-64-64-128 (got 13)" + Environment.NewLine, r.Error);
    }

    [Fact]
    public void Malformed_messages_exit_2_with_the_offset()
    {
        var r = CliRunner.Run("cose", "verify", "--key", Rfc8392Vectors.HmacKey, "d18443a10104");

        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("popiot: rejected: Malformed: ", r.Error, StringComparison.Ordinal);
        Assert.Contains("(at byte ", r.Error, StringComparison.Ordinal);
    }
}
