#nullable disable
using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;
using PopIoT.Core.Tests.Coap;
using PopIoT.Core.Tests.Crypto;

using Xunit;

using static PopIoT.Core.Tests.Oscore.OscoreTestSupport;

namespace PopIoT.Core.Tests.Oscore;

/// <summary>RFC 8613 Appendix C.1–C.8 (tests/vectors/oscore/rfc8613-appendixC.txt), byte for byte.</summary>
public class OscoreVectorTests
{
    private static string Info(byte[] id, byte[] ctx, bool key)
    {
        byte[] b = new byte[SecurityContextDerivation.MaxInfoLength];
        int n = SecurityContextDerivation.EncodeInfo(ByteRange.Of(id), ByteRange.Of(ctx), 10, key, key ? 16 : 13, b, 0);
        return Hex.Of(b, 0, n);
    }

    private static string Derive(byte[] salt, byte[] id, byte[] ctx, bool key)
    {
        // RFC 8613 §3.2.1: HKDF-SHA256(salt = Master Salt, IKM = Master Secret, info, L).
        using var hkdf = new Hkdf();
        byte[] o = new byte[key ? 16 : 13];
        byte[] info = new byte[SecurityContextDerivation.MaxInfoLength];
        int n = SecurityContextDerivation.EncodeInfo(ByteRange.Of(id), ByteRange.Of(ctx), 10, key, o.Length, info, 0);
        hkdf.DeriveKey(ByteRange.Of(salt), ByteRange.Of(MasterSecret), new ByteRange(info, 0, n), o, 0, o.Length);
        return Hex.Of(o, 0, o.Length);
    }

    private static string Nonce(string commonIv, byte[] id, byte piv)
    {
        byte[] n = new byte[13];
        OscoreNonce.Compute(ByteRange.Of(Hex.Parse(commonIv)), ByteRange.Of(id), ByteRange.Of([piv]), n, 0);
        return Hex.Of(n, 0, 13);
    }

    [Fact]
    public void C1_key_derivation_with_master_salt()
    {
        // RFC 8613 C.1.1 (client; C.1.2 is the same values mirrored).
        Assert.Equal("8540f60a634b657910", Info([], null, true));
        Assert.Equal("854101f60a634b657910", Info([0x01], null, true));
        Assert.Equal("8540f60a6249560d", Info([], null, false));
        Assert.Equal("f0910ed7295e6ad4b54fc793154302ff", Derive(MasterSalt, [], null, true));
        Assert.Equal("ffb14e093c94c9cac9471648b4f98710", Derive(MasterSalt, [0x01], null, true));
        Assert.Equal("4622d4dd6d944168eefb54987c", Derive(MasterSalt, [], null, false));
        Assert.Equal("4622d4dd6d944168eefb54987c", Nonce("4622d4dd6d944168eefb54987c", [], 0));
        Assert.Equal("4722d4dd6d944169eefb54987c", Nonce("4622d4dd6d944168eefb54987c", [0x01], 0));
    }

    [Fact]
    public void C2_key_derivation_without_master_salt()
    {
        Assert.Equal("854100f60a634b657910", Info([0x00], null, true));
        Assert.Equal("321b26943253c7ffb6003b0b64d74041", Derive(null, [0x00], null, true));
        Assert.Equal("e57b5635815177cd679ab4bcec9d7dda", Derive(null, [0x01], null, true));
        Assert.Equal("be35ae297d2dace910c52e99f9", Derive(null, [], null, false));
        Assert.Equal("bf35ae297d2dace910c52e99f9", Nonce("be35ae297d2dace910c52e99f9", [0x00], 0));
        Assert.Equal("bf35ae297d2dace810c52e99f9", Nonce("be35ae297d2dace910c52e99f9", [0x01], 0));
    }

    [Fact]
    public void C3_key_derivation_with_id_context()
    {
        Assert.Equal("85404837cbf3210017a2d30a634b657910", Info([], IdContext, true));
        Assert.Equal("8541014837cbf3210017a2d30a634b657910", Info([0x01], IdContext, true));
        Assert.Equal("85404837cbf3210017a2d30a6249560d", Info([], IdContext, false));
        Assert.Equal("af2a1300a5e95788b356336eeecd2b92", Derive(MasterSalt, [], IdContext, true));
        Assert.Equal("e39a0c7c77b43f03b4b39ab9a268699f", Derive(MasterSalt, [0x01], IdContext, true));
        Assert.Equal("2ca58fb85ff1b81c0b7181b85e", Derive(MasterSalt, [], IdContext, false));
        Assert.Equal("2ca58fb85ff1b81c0b7181b85e", Nonce("2ca58fb85ff1b81c0b7181b85e", [], 0));
        Assert.Equal("2da58fb85ff1b81d0b7181b85e", Nonce("2ca58fb85ff1b81c0b7181b85e", [0x01], 0));
    }

    private static string ProtectRequestVector(SecurityContext client, string unprotected, bool kidContext)
    {
        SkipTo(client, 20);
        var m = ParseNew(Hex.Parse(unprotected));
        var p = new OscoreProcessor();
        Assert.Equal(OscoreStatus.Ok, p.ProtectRequest(m, client, kidContext, new OscoreExchange()));
        byte[] b = Serialize(m);
        return Hex.Of(b, 0, b.Length);
    }

    [Fact]
    public void C4_request_client_is_byte_exact()
    {
        Assert.Equal(
            "44025d1f00003974396c6f63616c686f7374620914ff612f1092f1776f1c1668b3825e",
            ProtectRequestVector(C1Client(), "44015d1f00003974396c6f63616c686f737483747631", false));
    }

    [Fact]
    public void C5_request_client_is_byte_exact()
    {
        Assert.Equal(
            "440271c30000b932396c6f63616c686f737463091400ff4ed339a5a379b0b8bc731fffb0",
            ProtectRequestVector(C2Client(), "440171c30000b932396c6f63616c686f737483747631", false));
    }

    [Fact]
    public void C6_request_with_kid_context_is_byte_exact()
    {
        Assert.Equal(
            "44022f8eef9bbf7a396c6f63616c686f73746b19140837cbf3210017a2d3ff72cd7273fd331ac45cffbe55c3",
            ProtectRequestVector(C3Client(), "44012f8eef9bbf7a396c6f63616c686f737483747631", true));
    }

    private static (OscoreProcessor, OscoreExchange, CoapMessage) ServerReceivesC4()
    {
        var table = new OscoreContextTable(2);
        table.Add(C1Server());
        var p = new OscoreProcessor();
        var e = new OscoreExchange();
        var req = ParseNew(Hex.Parse("44025d1f00003974396c6f63616c686f7374620914ff612f1092f1776f1c1668b3825e"));
        Assert.Equal(OscoreStatus.Ok, p.UnprotectRequest(req, table, e));
        return (p, e, req);
    }

    [Fact]
    public void C4_request_verifies_at_the_server_back_to_the_unprotected_request()
    {
        var (_, _, req) = ServerReceivesC4();
        byte[] b = Serialize(req);
        Assert.Equal("44015d1f00003974396c6f63616c686f737483747631", Hex.Of(b, 0, b.Length));
    }

    [Fact]
    public void C5_and_C6_requests_verify_at_the_server()
    {
        var p = new OscoreProcessor();
        var t = new OscoreContextTable(4);
        t.Add(C2Server());
        t.Add(C3Server());
        var m = ParseNew(Hex.Parse("440271c30000b932396c6f63616c686f737463091400ff4ed339a5a379b0b8bc731fffb0"));
        Assert.Equal(OscoreStatus.Ok, p.UnprotectRequest(m, t, new OscoreExchange()));
        Assert.Equal("440171c30000b932396c6f63616c686f737483747631", Hex.Of(Serialize(m), 0, 22));
        m = ParseNew(Hex.Parse("44022f8eef9bbf7a396c6f63616c686f73746b19140837cbf3210017a2d3ff72cd7273fd331ac45cffbe55c3"));
        Assert.Equal(OscoreStatus.Ok, p.UnprotectRequest(m, t, new OscoreExchange()));
        Assert.Equal("44012f8eef9bbf7a396c6f63616c686f737483747631", Hex.Of(Serialize(m), 0, 22));
    }

    [Fact]
    public void C7_response_without_partial_iv_is_byte_exact()
    {
        var (p, e, _) = ServerReceivesC4();
        var resp = ParseNew(Hex.Parse("64455d1f00003974ff48656c6c6f20576f726c6421"));
        Assert.Equal(OscoreStatus.Ok, p.ProtectResponse(resp, e, false));
        byte[] b = Serialize(resp);
        Assert.Equal("64445d1f0000397490ffdbaad1e9a7e7b2a813d3c31524378303cdafae119106", Hex.Of(b, 0, b.Length));
    }

    [Fact]
    public void C8_response_with_partial_iv_is_byte_exact()
    {
        var (p, e, _) = ServerReceivesC4();
        var resp = ParseNew(Hex.Parse("64455d1f00003974ff48656c6c6f20576f726c6421"));
        Assert.Equal(OscoreStatus.Ok, p.ProtectResponse(resp, e, true));
        byte[] b = Serialize(resp);
        Assert.Equal("64445d1f00003974920100ff4d4c13669384b67354b2b6175ff4b8658c666a6cf88e", Hex.Of(b, 0, b.Length));
    }

    [Theory]
    [InlineData("64445d1f0000397490ffdbaad1e9a7e7b2a813d3c31524378303cdafae119106")]
    [InlineData("64445d1f00003974920100ff4d4c13669384b67354b2b6175ff4b8658c666a6cf88e")]
    public void C7_and_C8_responses_verify_at_the_client(string wire)
    {
        var client = C1Client();
        SkipTo(client, 20);
        var p = new OscoreProcessor();
        var e = new OscoreExchange();
        var req = ParseNew(Hex.Parse("44015d1f00003974396c6f63616c686f737483747631"));
        Assert.Equal(OscoreStatus.Ok, p.ProtectRequest(req, client, false, e));
        var resp = ParseNew(Hex.Parse(wire));
        Assert.Equal(OscoreStatus.Ok, p.UnprotectResponse(resp, e));
        byte[] b = Serialize(resp);
        Assert.Equal("64455d1f00003974ff48656c6c6f20576f726c6421", Hex.Of(b, 0, b.Length));
    }
}
