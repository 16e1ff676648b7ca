using System;

using PopIoT.Core.Cbor;
using PopIoT.Core.Cwt;

using Xunit;

using static PopIoT.Core.Tests.Cwt.CwtTestSupport;

namespace PopIoT.Core.Tests.Cwt;

/// <summary>Claims set parsing (types, duplicates, unknown claims, float times) and the builder's deterministic encoding.</summary>
public class CwtClaimsTests
{
    private static CwtError Parse(byte[] claims, out CwtClaims c)
    {
        c = new CwtClaims();
        return c.Parse(claims, 0, claims.Length);
    }

    public static TheoryData<string, int> WrongTypes => new()
    {
        { "a10101", 1 },            // iss: int
        { "a1024161", 2 },          // sub: bstr
        { "a10301", 3 },            // aud: int
        { "a10382616101", 3 },      // aud: array with an int
        { "a1046161", 4 },          // exp: text
        { "a104c11a00010000", 4 },  // exp: tag 1 (RFC 8392 §2: the tag MUST be omitted)
        { "a105f97e00", 5 },        // nbf: NaN
        { "a106f97c00", 6 },        // iat: +Infinity
        { "a106fb4440000000000000", 6 }, // iat: 2^69, beyond 2^53
        { "a1076161", 7 },          // cti: text
        { "a10880", 8 },            // cnf: array
        { "a109f5", 9 },            // scope: true
        { "a118266161", 38 },       // ace_profile: text
        { "a118276161", 39 },       // cnonce: text
        { "a1182820", 40 },         // exi: negative
        { "a1182f1b8000000000000000", 0 }, // unknown key 47 with a huge uint: fine
    };

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public void Known_claims_with_the_wrong_type_are_invalid(string hex, int claim)
    {
        CwtError e = Parse(Convert.FromHexString(hex), out CwtClaims c);
        if (claim == 0)
        {
            Assert.Equal(CwtError.None, e);
            Assert.Equal(1, c.UnknownCount);
            return;
        }

        Assert.Equal(CwtError.InvalidClaim, e);
        Assert.Equal(claim, c.ErrorClaim);
    }

    [Theory]
    [InlineData("a20101020101", 1)]         // iss twice... (values are ints, but the duplicate is found first)
    [InlineData("a2036161036162", 3)]       // aud twice
    [InlineData("a219030001190300f5", 768)] // unknown int key 768 twice
    [InlineData("a2617801617802", 0)]       // unknown text key "x" twice
    [InlineData("a20418ff041818", 4)]
    public void Duplicate_claim_keys_are_errors(string hex, long claim)
    {
        byte[] data = Convert.FromHexString(hex);
        var c = new CwtClaims();
        CwtError e = c.Parse(data, 0, data.Length);
        if (hex == "a20101020101")
        {
            Assert.Equal(CwtError.InvalidClaim, e); // iss: int is wrong before the duplicate is reached
            return;
        }

        Assert.Equal(CwtError.DuplicateClaim, e);
        Assert.Equal(claim, c.ErrorClaim);
    }

    [Fact]
    public void Unknown_claims_are_kept_as_slices()
    {
        byte[] data = Encode(w =>
        {
            w.WriteStartMap(4);
            w.WriteInt32(3); w.WriteTextString("rs1");
            w.WriteInt32(-70000); w.WriteStartArray(2); w.WriteInt32(1); w.WriteTextString("x"); w.WriteEndArray();
            w.WriteTextString("private"); w.WriteByteString([9, 9]);
            w.WriteInt32(500); w.WriteDouble(1.5);
            w.WriteEndMap();
        });
        Assert.Equal(CwtError.None, Parse(data, out CwtClaims c));
        Assert.Equal(3, c.UnknownCount);
        Assert.True(c.Has(-70000));
        Assert.True(c.Has(500));
        Assert.False(c.Has(501));
        c.GetUnknown(1, out int ko, out int kl, out int vo, out int vl);
        Assert.Equal(Convert.FromHexString("6770726976617465"), data.AsSpan(ko, kl).ToArray());
        Assert.Equal(new byte[] { 0x42, 9, 9 }, data.AsSpan(vo, vl).ToArray());
        Assert.Equal(data.Length, c.MapLength);
    }

    [Theory]
    [InlineData(1443944944.5, 1443944944, 1443944945)]
    [InlineData(-1.5, -2, -1)]
    [InlineData(7.0, 7, 7)]
    public void Float_times_round_to_the_safe_side(double value, long floor, long ceiling)
    {
        byte[] data = Encode(w =>
        {
            w.WriteStartMap(2);
            w.WriteInt32(4); w.WriteDouble(value);
            w.WriteInt32(5); w.WriteDouble(value);
            w.WriteEndMap();
        });
        Assert.Equal(CwtError.None, Parse(data, out CwtClaims c));
        Assert.Equal(floor, c.Expiration);
        Assert.Equal(ceiling, c.NotBefore);
    }

    [Fact]
    public void Scope_forms_keep_their_major_type_and_raw_slice()
    {
        byte[] aif = Convert.FromHexString("818263666f6f01"); // [["foo", 1]]
        using var b = new CwtClaimsBuilder();
        b.SetScopeEncoded(aif);
        byte[] data = b.Encode();
        Assert.Equal(CwtError.None, Parse(data, out CwtClaims c));
        Assert.Equal(CborMajorType.Array, c.ScopeType);
        Assert.Equal(aif, data.AsSpan(c.ScopeOffset, c.ScopeLength).ToArray());

        b.SetScopeBytes([1, 2]);
        data = b.Encode();
        Assert.Equal(CwtError.None, Parse(data, out c));
        Assert.Equal(CborMajorType.ByteString, c.ScopeType);
        Assert.Equal(new byte[] { 1, 2 }, data.AsSpan(c.ScopeContentOffset, c.ScopeContentLength).ToArray());
        Assert.Null(c.GetScopeText());
    }

    [Fact]
    public void Not_a_map_trailing_bytes_and_too_many_claims_are_refused()
    {
        Assert.Equal(CwtError.Malformed, Parse([0x80], out _));
        Assert.Equal(CwtError.Malformed, Parse([0xa0, 0x00], out _));
        Assert.Equal(CwtError.Malformed, Parse([0xa1, 0x41, 0x00, 0x00], out _)); // bstr key
        using var b = new CwtClaimsBuilder();
        for (int i = 0; i < CwtLimits.MaxClaims + 1; i++)
        {
            b.SetClaim(100 + i, [0x00]);
        }

        Assert.Equal(CwtError.LimitExceeded, Parse(b.Encode(), out _));
    }

    [Fact]
    public void Builder_orders_keys_bytewise_as_rfc8949_deterministic_encoding()
    {
        using var b = new CwtClaimsBuilder();
        b.SetClaim(-1, [0x01]);
        b.SetClaim(-300, [0x02]);
        b.SetClaim(1000, [0x03]);
        b.SetExi(5);
        b.SetAceProfile(2);
        b.SetCnonce([1]);
        b.SetIssuer("i");
        b.SetClaim(24, [0x04]);
        byte[] data = b.Encode();

        // RFC 8949 §4.2.1 orders keys bytewise (1000 = 19 03e8 before -1 = 20), unlike RFC 7049's
        // length-first canonical form, so the oracle is the sorted encodings themselves.
        var reader = new System.Formats.Cbor.CborReader(data, System.Formats.Cbor.CborConformanceMode.Strict);
        reader.ReadStartMap();
        byte[] previous = [];
        while (reader.PeekState() != System.Formats.Cbor.CborReaderState.EndMap)
        {
            byte[] key = reader.ReadEncodedValue().ToArray();
            Assert.True(previous.AsSpan().SequenceCompareTo(key) < 0);
            previous = key;
            reader.SkipValue();
        }

        Assert.Equal("a8016169181804182602182741011828051903e803200139012b02", Convert.ToHexStringLower(data));
    }

    [Fact]
    public void Builder_refuses_known_keys_and_bad_values_in_set_claim()
    {
        using var b = new CwtClaimsBuilder();
        Assert.Throws<ArgumentException>(() => b.SetClaim(CwtClaimKey.Exp, [0x01]));
        Assert.Throws<ArgumentException>(() => b.SetClaim(100, [0x18]));
        Assert.Throws<ArgumentException>(() => b.SetClaim(100, [0x01, 0x02]));
        Assert.Throws<ArgumentException>(() => b.SetExi(-1));
    }
}
