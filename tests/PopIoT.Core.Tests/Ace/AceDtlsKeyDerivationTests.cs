using System.Formats.Cbor;
using System.Security.Cryptography;
using PopIoT.Core;
using PopIoT.Core.Ace;
using Xunit;

namespace PopIoT.Core.Tests.Ace;

/// <summary>
/// RFC 9202 §3.3's example key derivation, recomputed independently: the info array by System.Formats.Cbor in
/// canonical mode and HKDF-SHA256 by the platform (System.Security.Cryptography.HKDF).
/// </summary>
public sealed class AceDtlsKeyDerivationTests
{
    private static byte[] Independent(byte[] ikm, byte[] token, int length)
    {
        var writer = new CborWriter(CborConformanceMode.Canonical);
        writer.WriteStartArray(3);
        writer.WriteTextString("ACE-CoAP-DTLS-key-derivation");
        writer.WriteUInt32((uint)length);
        writer.WriteByteString(token);
        writer.WriteEndArray();
        return HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, length, salt: [], info: writer.Encode());
    }

    [Theory]
    [InlineData(16, 1)]
    [InlineData(16, 23)]
    [InlineData(16, 24)]
    [InlineData(16, 255)]
    [InlineData(16, 256)]
    [InlineData(32, 300)]
    [InlineData(24, 1000)]
    [InlineData(200, 40)]
    public void The_key_matches_an_independent_hkdf_over_the_cbor_info(int length, int tokenLength)
    {
        var random = new Random(length * 7919 + tokenLength);
        byte[] ikm = new byte[32];
        byte[] token = new byte[tokenLength];
        random.NextBytes(ikm);
        random.NextBytes(token);

        using var derivation = new AceDtlsKeyDerivation(1024);
        byte[] okm = new byte[length + 4];
        derivation.Derive(ByteRange.Of(ikm), ByteRange.Of(token), okm, 2, length);

        Assert.Equal(Independent(ikm, token, length), okm.AsSpan(2, length).ToArray());
        Assert.Equal(0, okm[0] | okm[1] | okm[length + 2] | okm[length + 3]);
    }

    [Fact]
    public void Different_tokens_give_different_keys_and_the_same_token_the_same_key()
    {
        byte[] ikm = RandomNumberGenerator.GetBytes(32);
        byte[] a = [0x01, 0x02, 0x03];
        byte[] b = [0x01, 0x02, 0x04];
        using var derivation = new AceDtlsKeyDerivation(64);
        byte[] ka = new byte[16], kb = new byte[16], ka2 = new byte[16];
        derivation.Derive(ByteRange.Of(ikm), ByteRange.Of(a), ka, 0, 16);
        derivation.Derive(ByteRange.Of(ikm), ByteRange.Of(b), kb, 0, 16);
        derivation.Derive(ByteRange.Of(ikm), ByteRange.Of(a), ka2, 0, 16);
        Assert.NotEqual(ka, kb);
        Assert.Equal(ka, ka2);
    }

    [Fact]
    public void A_token_longer_than_the_buffer_or_a_bad_length_is_refused_with_a_reason()
    {
        using var derivation = new AceDtlsKeyDerivation(8);
        byte[] ikm = new byte[32];
        var tooLong = Assert.Throws<ArgumentException>(() => derivation.Derive(ByteRange.Of(ikm), ByteRange.Of(new byte[9]), new byte[16], 0, 16));
        Assert.Contains("longer", tooLong.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => derivation.Derive(ByteRange.Of(ikm), ByteRange.Of(new byte[4]), new byte[300], 0, 256));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AceDtlsKeyDerivation(0));
    }
}
