#nullable disable
using System;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Device;
using PopIoT.Core.Dtls;
using PopIoT.Core.Tests.Device;

using Xunit;

namespace PopIoT.Core.Tests.Ace;

/// <summary>
/// The OSCORE profile's attack set repeated for the coap_dtls profile (docs/threat-model.md): a captured token replayed
/// in another client's handshake, an unprotected update, a token for another key over a session, plain CoAP spoofed
/// from a session's address, handshake and slot flooding, and the state after a reboot.
/// </summary>
[Collection(AceSerialCollection.Name)]
public class AceDtlsThreatTests
{
    private static CoapMessage Post(DeviceRuntimeRig rig, int client, byte[] token) =>
        rig.Request(client, CoapCode.Post, "/authz-info", AuthzInfoRequest.Encode(token, null, null), m => m.AddUintOption(CoapOptionNumber.ContentFormat, CoapContentFormat.AceCbor));

    [Fact]
    public void A_captured_token_replayed_in_another_clients_handshake_fails_without_the_key_and_leaves_the_session()
    {
        var rig = AceDtlsSupport.Rig();
        Assert.True(rig.Runtime.Start());
        var spec = new DtlsTokenSpec();
        byte[] token = AceDtlsSupport.Mint(spec);
        var owner = new DtlsRuntimeClient(rig, 3);
        Assert.True(owner.Connect(token, spec.Psk));
        Assert.Equal(CoapCode.Content, owner.Send(CoapCode.Get, "/temp").Code);

        // The psk_identity travels in the clear: an attacker replays it (both forms) with a key it guesses.
        var thief = new DtlsRuntimeClient(rig, 4);
        // The device cannot authenticate the thief's Finished record (RFC 6347 §4.1.2.7: dropped silently); the
        // half-open handshakes end at the handshake timeout, keeping nothing.
        Assert.False(thief.Connect(token, new byte[16]));
        var thief2 = new DtlsRuntimeClient(rig, 5);
        Assert.False(thief2.Connect(AceDtlsSupport.KidIdentity(spec.Kid), new byte[16]));
        Assert.True(rig.Runtime.Dtls.AuthenticationFailures >= 2);
        Assert.Equal(2, rig.Runtime.Dtls.HandshakeCount);
        rig.Clock.Advance(rig.Runtime.Dtls.Settings.HandshakeTimeoutMs + 1000);
        rig.Runtime.RunOnce();
        Assert.Equal(0, rig.Runtime.Dtls.HandshakeCount);
        Assert.Equal(1, rig.Runtime.Dtls.SessionCount);

        // The owner's session keeps its token: it was bound when the owner's handshake finished, and no failed one moves it.
        Assert.True(owner.Connected);
        Assert.Equal(CoapCode.Content, owner.Send(CoapCode.Get, "/temp").Code);
    }

    [Fact]
    public void An_unprotected_update_for_the_session_key_does_not_change_the_session_rights()
    {
        var rig = AceDtlsSupport.Rig();
        Assert.True(rig.Runtime.Start());
        var spec = new DtlsTokenSpec();
        var client = new DtlsRuntimeClient(rig, 3);
        Assert.True(client.Connect(AceDtlsSupport.Mint(spec), spec.Psk));

        // RFC 9202 §3.4: rights change only over the session; in the clear anyone holding a captured token could post it.
        byte[] admin = AceDtlsSupport.Mint(new DtlsTokenSpec { Scope = "read write admin" });
        CoapMessage r = Post(rig, 9, admin);
        Assert.Equal(CoapCode.Unauthorized, r.Code);
        Assert.Equal(AceRsError.UpdateNotProtected, AceRig.Reason(r));
        Assert.Equal(CoapCode.MethodNotAllowed, client.Send(CoapCode.Put, "/led", "on"u8.ToArray()).Code);
        Assert.Equal(CoapCode.Forbidden, client.Send(CoapCode.Put, "/config", [1]).Code);

        // The same key's update as a kid-only token, in the clear: refused just the same.
        CoapMessage kid = Post(rig, 9, AceDtlsSupport.Mint(new DtlsTokenSpec { Form = "mac0-kid", Scope = "admin" }));
        Assert.Equal(AceRsError.UpdateNotProtected, AceRig.Reason(kid));
        Assert.Equal(CoapCode.Forbidden, client.Send(CoapCode.Put, "/config", [1]).Code);
    }

    [Fact]
    public void A_token_for_another_key_posted_over_a_session_is_refused()
    {
        var rig = AceDtlsSupport.Rig();
        Assert.True(rig.Runtime.Start());
        var spec = new DtlsTokenSpec();
        var client = new DtlsRuntimeClient(rig, 3);
        Assert.True(client.Connect(AceDtlsSupport.Mint(spec), spec.Psk));

        // Another kid: another client's key.
        CoapMessage other = client.PostToken(AceDtlsSupport.Mint(new DtlsTokenSpec { Kid = [0x42], Scope = "admin" }));
        Assert.Equal(AceRsError.UpdateFromWrongContext, AceRig.Reason(other));

        // The same kid with other key bytes: not the key of the handshake (RFC 9202 §3.4).
        CoapMessage swapped = client.PostToken(AceDtlsSupport.Mint(new DtlsTokenSpec { Psk = new byte[16], Scope = "admin" }));
        Assert.Equal(AceRsError.UpdateFromWrongContext, AceRig.Reason(swapped));
        Assert.Equal(CoapCode.Forbidden, client.Send(CoapCode.Put, "/config", [1]).Code);
        Assert.Equal(1, rig.Runtime.Engine.ActiveSlots);
    }

    [Fact]
    public void Plain_coap_from_a_session_peer_address_is_dropped_not_taken_for_the_session()
    {
        var rig = AceDtlsSupport.Rig(oscore: true);
        Assert.True(rig.Runtime.Start());
        var spec = new DtlsTokenSpec { Scope = "read write" };
        var client = new DtlsRuntimeClient(rig, 3);
        Assert.True(client.Connect(AceDtlsSupport.Mint(spec), spec.Psk));

        // An unprotected PUT spoofed from the session's address and port: it must not run with the session's rights.
        int sent = rig.Socket.SentCount;
        CoapMessage put = rig.NewRequest(CoapCode.Put, "/led", "on"u8.ToArray());
        rig.Socket.Enqueue(3, AceTestSupport.Serialize(put));
        rig.Runtime.RunOnce();
        Assert.False(rig.Peripherals.LedOn);
        Assert.Empty(rig.Socket.RawSince(sent, 3));
        Assert.Equal(1, rig.Runtime.PlainDatagramsFromSessionPeers);

        // Over the session the same PUT is served.
        Assert.Equal(CoapCode.Changed, client.Send(CoapCode.Put, "/led", "on"u8.ToArray()).Code);
        Assert.True(rig.Peripherals.LedOn);
    }

    [Fact]
    public void Nothing_for_a_peer_whose_session_closed_goes_out_in_the_clear_not_even_a_retransmission()
    {
        var ace = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { ServesDtls = true, ServesOscore = false };
        var settings = new DeviceRuntimeSettings { Ace = ace, Dtls = new DtlsSettings { MaxIdentityLength = 512 }, ConfirmableNotificationEvery = 1 };
        var rig = new DeviceRuntimeRig(settings);
        Assert.True(rig.Runtime.Start());
        var spec = new DtlsTokenSpec { Exp = AceTestSupport.Start + 30 };
        var client = new DtlsRuntimeClient(rig, 3);
        Assert.True(client.Connect(AceDtlsSupport.Mint(spec), spec.Psk));
        Assert.Equal(CoapCode.Content, client.Send(CoapCode.Get, "/temp", null, m => m.AddUintOption(CoapOptionNumber.Observe, 0)).Code);

        // The token expires: the observation's final 4.01 (confirmable) goes over the session, then the session closes.
        int sent = rig.Socket.SentCount;
        rig.Clock.Advance(31_000);
        rig.Runtime.RunOnce();
        Assert.Equal(0, rig.Runtime.Dtls.SessionCount);

        // The client never acknowledged it: the message layer retransmits (RFC 7252 §4.2) into a closed session.
        for (int i = 0; i < 10; i++)
        {
            rig.Clock.Advance(5_000);
            rig.Runtime.RunOnce();
        }

        // A plain request from the same address gets nothing either: that peer speaks DTLS.
        rig.Socket.Enqueue(3, AceTestSupport.Serialize(rig.NewRequest(CoapCode.Get, "/hello")));
        rig.Runtime.RunOnce();
        foreach (byte[] d in rig.Socket.RawSince(sent, 3))
        {
            Assert.InRange(d[0], 20, 63);
        }
    }

    [Fact]
    public void A_flood_of_handshakes_cannot_push_out_sessions_in_use()
    {
        var rig = AceDtlsSupport.Rig(sessions: 2, handshakes: 1);
        Assert.True(rig.Runtime.Start());
        var a = new DtlsTokenSpec { Kid = [0x0A], Psk = Filled(0x0A) };
        var b = new DtlsTokenSpec { Kid = [0x0B], Psk = Filled(0x0B) };
        var ca = new DtlsRuntimeClient(rig, 3);
        var cb = new DtlsRuntimeClient(rig, 4);
        Assert.True(ca.Connect(AceDtlsSupport.Mint(a), a.Psk));
        Assert.True(cb.Connect(AceDtlsSupport.Mint(b), b.Psk));
        Assert.Equal(CoapCode.Content, ca.Send(CoapCode.Get, "/temp").Code);
        Assert.Equal(CoapCode.Content, cb.Send(CoapCode.Get, "/temp").Code);

        // Clients with valid tokens of their own (the worst case: they complete the cookie exchange and hold a key)
        // find the table full of sessions in use: their handshakes are refused, the sessions stay.
        for (int i = 0; i < 5; i++)
        {
            var spec = new DtlsTokenSpec { Kid = [(byte)(0x20 + i)], Psk = Filled(0x20 + i) };
            var flood = new DtlsRuntimeClient(rig, 20 + i);
            Assert.False(flood.Connect(AceDtlsSupport.Mint(spec), spec.Psk));
        }

        Assert.True(rig.Runtime.Dtls.HandshakesRefused >= 5);
        Assert.Equal(CoapCode.Content, ca.Send(CoapCode.Get, "/temp").Code);
        Assert.Equal(CoapCode.Content, cb.Send(CoapCode.Get, "/temp").Code);

        // Once a session has not been used for the protection time (60 s) it may go for a new one, as an OSCORE slot would.
        rig.Clock.Advance(61_000);
        Assert.Equal(CoapCode.Content, cb.Send(CoapCode.Get, "/temp").Code);
        var late = new DtlsTokenSpec { Kid = [0x30], Psk = Filled(0x30) };
        var newcomer = new DtlsRuntimeClient(rig, 30);
        Assert.True(newcomer.Connect(AceDtlsSupport.Mint(late), late.Psk));
        Assert.Equal(CoapCode.Content, newcomer.Send(CoapCode.Get, "/temp").Code);
        Assert.Equal(CoapCode.Content, cb.Send(CoapCode.Get, "/temp").Code);
    }

    [Fact]
    public void A_session_that_has_just_finished_its_handshake_is_in_use_and_a_newcomer_cannot_push_it_out()
    {
        var rig = AceDtlsSupport.Rig(sessions: 2, handshakes: 1);
        Assert.True(rig.Runtime.Start());
        var a = new DtlsTokenSpec { Kid = [0x0A], Psk = Filled(0x0A) };
        var b = new DtlsTokenSpec { Kid = [0x0B], Psk = Filled(0x0B) };
        var ca = new DtlsRuntimeClient(rig, 3);
        var cb = new DtlsRuntimeClient(rig, 4);

        // Both clients proved their keys by finishing the handshake (RFC 9202 §3.3), and have sent no request yet.
        Assert.True(ca.Connect(AceDtlsSupport.Mint(a), a.Psk));
        Assert.True(cb.Connect(AceDtlsSupport.Mint(b), b.Psk));

        // A client with a valid token of its own cannot take the place of a session made a moment ago.
        var spec = new DtlsTokenSpec { Kid = [0x20], Psk = Filled(0x20) };
        var newcomer = new DtlsRuntimeClient(rig, 20);
        Assert.False(newcomer.Connect(AceDtlsSupport.Mint(spec), spec.Psk));
        Assert.Equal(CoapCode.Content, ca.Send(CoapCode.Get, "/temp").Code);
        Assert.Equal(CoapCode.Content, cb.Send(CoapCode.Get, "/temp").Code);
    }

    [Fact]
    public void Slot_flooding_by_posted_dtls_tokens_cannot_evict_a_token_whose_session_is_in_use()
    {
        var rig = AceDtlsSupport.Rig(slots: 2);
        Assert.True(rig.Runtime.Start());
        var spec = new DtlsTokenSpec();
        var client = new DtlsRuntimeClient(rig, 3);
        Assert.True(client.Connect(AceDtlsSupport.Mint(spec), spec.Psk));
        Assert.Equal(CoapCode.Content, client.Send(CoapCode.Get, "/temp").Code);

        // Valid tokens posted by others (never used) take the other slot in turn; the session's slot is protected.
        CoapMessage last = null;
        for (int i = 0; i < 4; i++)
        {
            last = Post(rig, 40 + i, AceDtlsSupport.Mint(new DtlsTokenSpec { Kid = [(byte)(0x50 + i)], Psk = Filled(0x50 + i) }));
            Assert.Equal(CoapCode.Created, last.Code);
        }

        Assert.Equal(CoapCode.Content, client.Send(CoapCode.Get, "/temp").Code);
        Assert.True(rig.Runtime.Engine.Evictions >= 3);
    }

    [Fact]
    public void No_session_survives_a_reboot_and_the_exi_rules_still_hold()
    {
        var storage = new MemoryDeviceStorage(4);
        var clock = new ManualDeviceClock { WallTimeKnown = false };
        var rig = AceDtlsSupport.Rig(storage: storage, clock: clock);
        Assert.True(rig.Runtime.Start());
        var spec = new DtlsTokenSpec { Exp = 0, Exi = 600, Cti = [0x06] };
        byte[] token = AceDtlsSupport.Mint(spec);
        var client = new DtlsRuntimeClient(rig, 3);
        Assert.True(client.Connect(token, spec.Psk));
        Assert.Equal(CoapCode.Content, client.Send(CoapCode.Get, "/temp").Code);

        rig.Runtime.Dispose();
        clock.Advance(1000);
        var after = AceDtlsSupport.Rig(storage: storage, clock: clock, seed: 99);
        Assert.True(after.Runtime.Start());

        // The old session's records reach a device that has no session: nothing is answered.
        var again = new DtlsRuntimeClient(after, 3, seed: 1);
        int sent = after.Socket.SentCount;
        byte[] record = RecordFrom(client, rig);
        after.Socket.Enqueue(3, record);
        after.Runtime.RunOnce();
        Assert.Empty(after.Socket.RawSince(sent, 3));
        Assert.Equal(0, after.Runtime.Dtls.SessionCount);

        // RFC 9200 §5.10.3: the exi token held before the power cycle is refused, in a handshake as at /authz-info.
        Assert.False(again.Connect(token, spec.Psk));
        Assert.Equal(DtlsAlert.IllegalParameter, again.ClosedAlert);
        Assert.Equal(AceRsError.TokenCtiReplayed, after.Runtime.Engine.LastDecision.Error);

        // A token the AS issued after it is taken.
        var next = new DtlsTokenSpec { Exp = 0, Exi = 600, Cti = [0x07], Kid = [0x07] };
        var fresh = new DtlsRuntimeClient(after, 4);
        Assert.True(fresh.Connect(AceDtlsSupport.Mint(next), next.Psk));
        Assert.Equal(CoapCode.Content, fresh.Send(CoapCode.Get, "/temp").Code);
    }

    [Fact]
    public void A_get_over_a_session_allocates_nothing_through_the_loop()
    {
        var rig = AceDtlsSupport.Rig();
        Assert.True(rig.Runtime.Start());
        var spec = new DtlsTokenSpec();
        var client = new DtlsRuntimeClient(rig, 3);
        Assert.True(client.Connect(AceDtlsSupport.Mint(spec), spec.Psk));

        // The requests are sealed before the measurement (the client's engine is not the device's path).
        const int warm = 20;
        const int measured = 100;
        byte[][] records = new byte[warm + measured][];
        for (int i = 0; i < records.Length; i++)
        {
            records[i] = client.Seal(CoapCode.Get, "/temp");
        }

        for (int i = 0; i < warm; i++)
        {
            rig.Socket.Enqueue(3, records[i]);
            rig.Runtime.RunOnce();
        }

        int sent = rig.Socket.SentCount;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = warm; i < records.Length; i++)
        {
            rig.Socket.Enqueue(3, records[i]);
            rig.Runtime.RunOnce();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(sent + measured, rig.Socket.SentCount);
        Assert.Equal(0, allocated);
    }

    private static byte[] Filled(int b)
    {
        byte[] k = new byte[16];
        Array.Fill(k, (byte)b);
        return k;
    }

    // A record of the old session (a GET sealed under its keys), as an attacker or the client would resend it.
    private static byte[] RecordFrom(DtlsRuntimeClient client, DeviceRuntimeRig rig) => client.Seal(CoapCode.Get, "/temp");
}
