#nullable disable
using System;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;

using Xunit;
using Xunit.Abstractions;

namespace PopIoT.Core.Tests.Ace;

/// <summary>
/// Admission at /authz-info (RFC 9200 §5.10.1.2): rate limits per peer and overall, eviction protection for slots whose
/// context is in use, and 5.03 / 4.29 with Max-Age instead of evicting an active client.
/// </summary>
[Collection(AceSerialCollection.Name)]
public class AceAdmissionTests
{
    private readonly ITestOutputHelper _output;

    public AceAdmissionTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Eight_replayed_valid_tokens_from_an_attacker_do_not_evict_eight_active_clients()
    {
        var rig = new AceRig(log: true);
        var clients = new AceTestClient[8];
        for (int i = 0; i < clients.Length; i++)
        {
            clients[i] = new AceTestClient(i + 1, new TokenSpec { Id = [(byte)(0x10 + i)] });
            Assert.Equal(CoapCode.Created, clients[i].Post(rig));
            Assert.Equal(CoapCode.Content, clients[i].Request(rig, CoapCode.Get, "/temp"));
        }

        // The attacker captured eight valid tokens of other clients (each with its own PoP key) and posts them with
        // nonces of its own: it cannot use the contexts, but each stored token would take a slot.
        rig.Server.Tick(AceTestSupport.Start + 5);
        var attackCodes = new byte[8];
        for (int i = 0; i < 8; i++)
        {
            var captured = new AceTestClient(100, new TokenSpec { Id = [(byte)(0x80 + i)] });
            attackCodes[i] = captured.Post(rig);
        }

        int unauthorized = 0;
        foreach (AceTestClient c in clients)
        {
            unauthorized += c.Request(rig, CoapCode.Get, "/temp") == CoapCode.Unauthorized ? 1 : 0;
        }

        Assert.True(unauthorized == 0, unauthorized + " of 8 active clients lost their context to the attacker's posts (" + rig.Server.Evictions + " evictions)");
        Assert.Equal(0, rig.Server.Evictions);
        Assert.All(attackCodes, code => Assert.True(code == CoapCode.ServiceUnavailable || code == CoapCode.TooManyRequests, "0x" + code.ToString("x2")));
        Assert.Equal(8, rig.Server.ActiveSlots);
    }
}
