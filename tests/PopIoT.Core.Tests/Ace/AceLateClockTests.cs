#nullable disable
using System;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;

using Xunit;

namespace PopIoT.Core.Tests.Ace;

/// <summary>
/// A device whose wall clock becomes known after start (SNTP on a board; docs/ace-rs.md, "Time that becomes known
/// later"): until then it is a clockless RS (exi only, cnonces in its Creation Hints, RFC 9200 §5.3, §5.10.3); from
/// then on exp and nbf are enforced, in the engine's own time base.
/// </summary>
public class AceLateClockTests
{
    private const long Known = AceTestSupport.Start;

    [Fact]
    public void Until_the_clock_is_known_the_rs_is_clockless_and_asks_for_a_cnonce()
    {
        var rig = new AceRig(new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { HasClock = false }, log: true);
        Assert.False(rig.Server.WallClockKnown);
        Assert.NotNull(Hints(rig).Cnonce);

        // exp alone cannot be judged without a clock.
        var expOnly = new AceTestClient(1, new TokenSpec { Exp = Known + 3600, Id = [1] });
        Assert.Equal(CoapCode.Unauthorized, expOnly.Post(rig));

        // An exi token whose exp already passed (by the time the AS knows) is taken: its exi is what a clockless RS enforces.
        var exi = new AceTestClient(2, new TokenSpec { Exp = Known - 10, Exi = 100, Cti = [0x01], Id = [2] });
        Assert.Equal(CoapCode.Created, exi.Post(rig));

        rig.Server.Tick(20);
        rig.Server.SetWallClockKnown(Known);
        Assert.True(rig.Server.WallClockKnown);
        Assert.Equal(AceDecisionKind.WallClockKnown, rig.Server.LastDecision.Kind);
        Assert.Contains(rig.Log.Lines, l => l.Contains("WallClockKnown", StringComparison.Ordinal));
        Assert.Null(Hints(rig).Cnonce);

        // The token taken while clockless keeps its exi lifetime (100 s from 0), in the engine's time.
        Assert.Equal(CoapCode.Content, exi.Request(rig, CoapCode.Get, "/temp"));
        rig.Server.Tick(100);
        Assert.Equal(CoapCode.Unauthorized, exi.Request(rig, CoapCode.Get, "/temp"));
    }

    [Fact]
    public void Once_the_clock_is_known_exp_and_nbf_are_enforced_in_engine_time()
    {
        var rig = new AceRig(new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { HasClock = false });
        rig.Server.Tick(50);

        // Engine time 50 is Unix time Known.
        rig.Server.SetWallClockKnown(Known);
        var expired = new AceTestClient(1, new TokenSpec { Exp = Known - 10, Exi = 100, Cti = [0x01], Id = [1] });
        Assert.Equal(CoapCode.Unauthorized, expired.Post(rig));
        Assert.Equal(AceRsError.TokenExpired, rig.Server.LastDecision.Error);

        var c = new AceTestClient(2, new TokenSpec { Exp = Known + 30, Id = [2] });
        Assert.Equal(CoapCode.Created, c.Post(rig));
        Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/temp"));

        // exp + skew (Known + 30 + 60) is engine time 140: the token is still good at 139 and gone at 140.
        rig.Server.Tick(50 + 30 + rig.Settings.ClockSkewSeconds - 1);
        Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/temp"));
        rig.Server.Tick(50 + 30 + rig.Settings.ClockSkewSeconds);
        Assert.Equal(CoapCode.Unauthorized, c.Request(rig, CoapCode.Get, "/temp"));
        Assert.Equal(0, rig.Server.ActiveSlots);
    }

    [Fact]
    public void The_time_base_does_not_move_on_a_second_clock_update()
    {
        var rig = new AceRig(new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { HasClock = false });
        rig.Server.SetWallClockKnown(Known);
        rig.Server.SetWallClockKnown(Known + 100000);
        var c = new AceTestClient(1, new TokenSpec { Exp = Known + 3600 });
        Assert.Equal(CoapCode.Created, c.Post(rig));
        Assert.Throws<ArgumentException>(() => rig.Server.SetWallClockKnown(-1));
    }

    private static AsCreationHints Hints(AceRig rig)
    {
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get };
        m.AddUriPath("/temp");
        CoapMessage r = rig.Send(9, m);
        Assert.Equal(CoapCode.Unauthorized, r.Code);
        return AsCreationHints.TryParse(r.PayloadBuffer, r.PayloadOffset, r.PayloadLength);
    }
}
