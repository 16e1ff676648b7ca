using System.Text.Json.Nodes;
using PopIoT.Interop.Tests.Peers;
using Xunit;

namespace PopIoT.Interop.Tests;

/// <summary>The cose-js peer itself: it runs, is the pinned version, and agrees with RFC 8392.</summary>
public sealed class CosePeerTests : IClassFixture<CosePeer>
{
    private readonly CosePeer _peer;

    public CosePeerTests(CosePeer peer) => _peer = peer;

    [SkippableFact]
    public void Cose_js_is_the_pinned_version()
    {
        PeerRequirement.Require(_peer.MissingReason);

        Assert.Equal("0.9.0", _peer.Version);
    }

    [SkippableFact]
    public void Cose_js_reproduces_the_rfc8392_a4_mac0()
    {
        PeerRequirement.Require(_peer.MissingReason);

        JsonObject reply = _peer.Call(new JsonObject
        {
            ["op"] = "mac0.create",
            ["alg"] = "HS256/64",
            ["key"] = "403697de87af64611c1d32a05dab0fe1fcb715a86ab435f1ec99192d79569388",
            ["payload"] = Rfc8392.ClaimsHex,
            ["aad"] = "",
            ["kid"] = "53796d6d6574726963323536",
        });

        Assert.True((bool?)reply["ok"], reply.ToJsonString());
        // RFC 8392 A.4 without its outer CWT tag 61 (d83d).
        Assert.Equal(Rfc8392.A4Hex[4..], (string?)reply["msg"]);
    }

    [SkippableFact]
    public void Cose_js_refuses_a_mac0_with_a_flipped_tag_bit()
    {
        PeerRequirement.Require(_peer.MissingReason);
        string msg = Rfc8392.A4Hex[4..];
        string tampered = msg[..^1] + (msg[^1] == '0' ? '1' : '0');

        JsonObject reply = _peer.Call(new JsonObject
        {
            ["op"] = "mac0.verify",
            ["key"] = "403697de87af64611c1d32a05dab0fe1fcb715a86ab435f1ec99192d79569388",
            ["msg"] = tampered,
            ["aad"] = "",
        });

        Assert.False((bool?)reply["ok"]);
    }
}
