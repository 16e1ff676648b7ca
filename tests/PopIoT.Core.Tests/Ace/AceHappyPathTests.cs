#nullable disable
using System;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;

using Xunit;

namespace PopIoT.Core.Tests.Ace;

/// <summary>The happy path in process: post a token to /authz-info, derive both sides, GET and PUT under OSCORE.</summary>
public class AceHappyPathTests
{
    [Theory]
    [InlineData("encrypt0")]
    [InlineData("mac0")]
    [InlineData("nested")]
    public void Token_post_then_protected_get_and_put(string protection)
    {
        var rig = new AceRig(log: true);
        var c = new AceTestClient(1, new TokenSpec { Protection = protection, Scope = "read write" });

        Assert.Equal(CoapCode.Created, c.Post(rig));
        Assert.Equal(CoapContentFormat.AceCbor, (int)Cf(c.LastResponse));
        Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/temp"));
        Assert.Equal("22.5 C", Payload(c.LastResponse));
        Assert.Equal(CoapCode.Changed, c.Request(rig, CoapCode.Put, "/led", "off"));
        Assert.Equal(1, rig.Temp.Calls);
        Assert.Equal(1, rig.Led.Calls);
        Assert.Equal(AceDecisionKind.RequestAllowed, rig.Server.LastDecision.Kind);
        Assert.Contains(rig.Log.Lines, l => l.StartsWith("TokenStored POST /authz-info peer 1 slot 0 -> 2.01", StringComparison.Ordinal));
    }

    [Fact]
    public void Aif_scope_grants_exactly_its_methods()
    {
        var rig = new AceRig();
        var c = new AceTestClient(1, new TokenSpec { Scope = null, AifScope = AceTestSupport.Aif(("/temp", CoapMethods.Get), ("/led", CoapMethods.Get | CoapMethods.Put)) });
        Assert.Equal(CoapCode.Created, c.Post(rig));
        Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/temp"));
        Assert.Equal(CoapCode.Changed, c.Request(rig, CoapCode.Put, "/led", "on"));
        Assert.Equal(CoapCode.Forbidden, c.Request(rig, CoapCode.Put, "/config", "x"));
        Assert.Equal(AceRsError.ScopeDenied, rig.Server.LastDecision.Error);
    }

    [Fact]
    public void Unprotected_resource_is_served_without_a_token()
    {
        var rig = new AceRig();
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get };
        m.AddUriPath("/hello");
        CoapMessage r = rig.Send(3, m);
        Assert.Equal(CoapCode.Content, r.Code);
        Assert.Equal(AceDecisionKind.UnprotectedServed, rig.Server.LastDecision.Kind);
    }

    [Fact]
    public void Input_material_salt_context_id_and_alg_are_used()
    {
        var rig = new AceRig();
        var c = new AceTestClient(2, new TokenSpec { Salt = [1, 2, 3, 4], ContextId = [9, 9], Alg = 11, MasterSecret = new byte[32] });
        Assert.Equal(CoapCode.Created, c.Post(rig));
        Assert.Equal(11, c.Context.Algorithm);
        Assert.True(c.Context.HasIdContext);
        Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/temp"));
    }

    [Fact]
    public void Server_recipient_id_differs_from_the_client_id_and_from_live_contexts()
    {
        var rig = new AceRig();
        var seen = new System.Collections.Generic.HashSet<byte>();
        for (int i = 0; i < 8; i++)
        {
            // Every client proposes 0x00, the first id the RS would pick.
            var c = new AceTestClient(i, new TokenSpec { Id = [(byte)i] }, clientId: [0x00]);
            Assert.Equal(CoapCode.Created, c.Post(rig));
            Assert.True(AuthzInfoResponse.TryParse(c.LastResponse.PayloadBuffer, c.LastResponse.PayloadOffset, c.LastResponse.PayloadLength, out _, out byte[] sid));
            Assert.NotEqual(new byte[] { 0x00 }, sid);
            Assert.True(seen.Add(sid[0]));
            Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/temp"));
        }
    }

    internal static uint Cf(CoapMessage m)
    {
        Assert.True(m.TryGetUint(CoapOptionNumber.ContentFormat, out uint v));
        return v;
    }

    internal static string Payload(CoapMessage m) => System.Text.Encoding.ASCII.GetString(m.PayloadBuffer, m.PayloadOffset, m.PayloadLength);
}
