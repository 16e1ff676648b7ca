#nullable disable
using System;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;

using Xunit;

namespace PopIoT.Core.Tests.Ace;

/// <summary>
/// <see cref="AceResourceServer.CheckNotification"/>: an observation's token checked again for each notification
/// (RFC 9200 §5.10.2, §5.10.3), against the binding the observation was registered under.
/// </summary>
public class AceNotificationCheckTests
{
    [Fact]
    public void Expiry_is_reported_while_the_keys_still_exist_and_the_tick_after_it_erases_them()
    {
        var rig = new AceRig();
        var c = new AceTestClient(1, new TokenSpec { Scope = "read", Exp = AceTestSupport.Start + 600 });
        Assert.Equal(CoapCode.Created, c.Post(rig));
        OscoreExchange binding = Registered(rig, c);

        Assert.Equal(AceNotificationCheck.Allowed, rig.Server.CheckNotification(binding, "/temp", AceTestSupport.Start + 10));
        long late = AceTestSupport.Start + 7200;
        Assert.Equal(AceNotificationCheck.Expired, rig.Server.CheckNotification(binding, "/temp", late));

        // Asking changes nothing: the token is still held and the binding can still protect the final 4.01.
        Assert.Equal(1, rig.Server.ActiveSlots);
        Assert.True(binding.IsCurrent);

        rig.Server.Tick(late);
        Assert.Equal(0, rig.Server.ActiveSlots);
        Assert.False(binding.IsCurrent);
        Assert.Equal(AceNotificationCheck.ContextGone, rig.Server.CheckNotification(binding, "/temp", late));
    }

    [Fact]
    public void Exi_counts_from_arrival_on_a_device_without_a_clock()
    {
        var rig = new AceRig(new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { HasClock = false });
        var c = new AceTestClient(1, new TokenSpec { Scope = "read", Exp = 0, Exi = 60, Cti = [0x05] });
        Assert.Equal(CoapCode.Created, c.Post(rig));
        OscoreExchange binding = Registered(rig, c);

        Assert.Equal(AceNotificationCheck.Allowed, rig.Server.CheckNotification(binding, "/temp", 59));
        Assert.Equal(AceNotificationCheck.Expired, rig.Server.CheckNotification(binding, "/temp", 60));
    }

    [Fact]
    public void A_rights_update_without_GET_on_the_path_is_forbidden_by_the_same_rule_as_a_GET()
    {
        var rig = new AceRig();
        var spec = new TokenSpec { Scope = "read", Id = [7] };
        var c = new AceTestClient(1, spec);
        Assert.Equal(CoapCode.Created, c.Post(rig));
        OscoreExchange binding = Registered(rig, c);

        // RFC 9203 §4.1: the update over the existing context keeps it; only the rights change.
        spec.Scope = "admin";
        spec.Cti = [2];
        byte[] update = AuthzInfoRequest.Encode(AceTestSupport.Mint(spec), null, null);
        Assert.Equal(CoapCode.Created, c.Receive(rig.Exchange(1, c.ProtectBytes(CoapCode.Post, "/authz-info", update))));
        Assert.Equal(AceDecisionKind.RightsUpdated, rig.Server.LastDecision.Kind);
        Assert.True(binding.IsCurrent);

        Assert.Equal(AceNotificationCheck.Forbidden, rig.Server.CheckNotification(binding, "/temp", AceTestSupport.Start));
        Assert.Equal(CoapCode.Forbidden, c.Request(rig, CoapCode.Get, "/temp"));
        Assert.Equal(AceNotificationCheck.Allowed, rig.Server.CheckNotification(binding, "/config", AceTestSupport.Start));
    }

    [Fact]
    public void A_rights_update_that_keeps_the_path_but_not_GET_gives_method_not_allowed_as_a_GET_gets_4_05()
    {
        var rig = new AceRig();
        var spec = new TokenSpec { Scope = "read", Id = [8] };
        var c = new AceTestClient(1, spec);
        Assert.Equal(CoapCode.Created, c.Post(rig));
        Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/led"));
        var binding = new OscoreExchange();
        binding.CopyFrom(rig.Security.Exchange);

        // The update grants PUT /led only: the path stays in the scope, GET does not (RFC 9200 §5.10.2).
        spec.Scope = "write";
        spec.Cti = [3];
        byte[] update = AuthzInfoRequest.Encode(AceTestSupport.Mint(spec), null, null);
        Assert.Equal(CoapCode.Created, c.Receive(rig.Exchange(1, c.ProtectBytes(CoapCode.Post, "/authz-info", update))));

        Assert.Equal(AceNotificationCheck.MethodNotAllowed, rig.Server.CheckNotification(binding, "/led", AceTestSupport.Start));
        Assert.Equal(CoapCode.MethodNotAllowed, c.Request(rig, CoapCode.Get, "/led"));
        Assert.Equal(AceNotificationCheck.Forbidden, rig.Server.CheckNotification(binding, "/temp", AceTestSupport.Start));
    }

    [Fact]
    public void An_evicted_context_or_a_missing_binding_is_gone_and_an_unknown_path_is_forbidden()
    {
        // Eviction itself is the point here, so the protection of a slot in use is off (docs/ace-rs.md, "Eviction").
        var rig = new AceRig(new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { Slots = 1, EvictionProtectionSeconds = 0 });
        var alice = new AceTestClient(1, new TokenSpec { Scope = "read", Id = [1] });
        Assert.Equal(CoapCode.Created, alice.Post(rig));
        OscoreExchange binding = Registered(rig, alice);
        Assert.Equal(AceNotificationCheck.Forbidden, rig.Server.CheckNotification(binding, "/nowhere", AceTestSupport.Start));

        var bob = new AceTestClient(2, new TokenSpec { Scope = "read", Id = [2] });
        Assert.Equal(CoapCode.Created, bob.Post(rig));
        Assert.Equal(AceNotificationCheck.ContextGone, rig.Server.CheckNotification(binding, "/temp", AceTestSupport.Start));
        Assert.Equal(AceNotificationCheck.ContextGone, rig.Server.CheckNotification(null, "/temp", AceTestSupport.Start));
        Assert.Equal(AceNotificationCheck.ContextGone, rig.Server.CheckNotification(new OscoreExchange(), "/temp", AceTestSupport.Start));
    }

    // The binding a host keeps for an Observe registration: a copy of the binding the engine attached to a verified GET.
    private static OscoreExchange Registered(AceRig rig, AceTestClient c)
    {
        Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/temp"));
        var binding = new OscoreExchange();
        binding.CopyFrom(rig.Security.Exchange);
        Assert.True(binding.IsCurrent);
        return binding;
    }
}
