#nullable disable
using System;
using System.Collections.Generic;
using System.Text;

using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;
using PopIoT.Core.Tests.Coap;
using PopIoT.Core.Tests.Crypto;

using Xunit;

using static PopIoT.Core.Tests.Oscore.OscoreTestSupport;

namespace PopIoT.Core.Tests.Oscore;

/// <summary>RFC 8613 §4 option classes, §8 processing and errors, §7.2.1 exhaustion, Appendix B.1 reboot.</summary>
public class OscoreProcessingTests
{
    private readonly OscoreProcessor _client = new();
    private readonly OscoreProcessor _server = new();

    private static CoapMessage Get(string path)
    {
        var m = new CoapMessage { Code = CoapCode.Get, MessageId = 0x1234 };
        m.SetToken([0xAA, 0xBB], 0, 2);
        m.AddStringOption(CoapOptionNumber.UriHost, "localhost");
        m.AddUriPath(path);
        return m;
    }

    private byte[] ProtectGet(SecurityContext client, OscoreExchange e, string path = "/tv1", bool kidContext = false)
    {
        var m = Get(path);
        Assert.Equal(OscoreStatus.Ok, _client.ProtectRequest(m, client, kidContext, e));
        return Serialize(m);
    }

    private static OscoreContextTable Table(params SecurityContext[] contexts)
    {
        var t = new OscoreContextTable(Math.Max(4, contexts.Length));
        foreach (var c in contexts)
        {
            t.Add(c);
        }

        return t;
    }

    [Fact]
    public void Request_keeps_only_class_U_options_outside_and_round_trips()
    {
        var client = C1Client();
        var e = new OscoreExchange();
        var m = Get("/a/b");
        m.AddUintOption(CoapOptionNumber.Accept, 60);
        Assert.Equal(OscoreStatus.Ok, _client.ProtectRequest(m, client, false, e));
        Assert.Equal(CoapCode.Post, m.Code);
        Assert.True(m.HasOption(CoapOptionNumber.UriHost));
        Assert.False(m.HasOption(CoapOptionNumber.UriPath));
        Assert.False(m.HasOption(CoapOptionNumber.Accept));
        Assert.True(m.HasOption(CoapOptionNumber.Oscore));

        var req = ParseNew(Serialize(m));
        var se = new OscoreExchange();
        Assert.Equal(OscoreStatus.Ok, _server.UnprotectRequest(req, Table(C1Server()), se));
        Assert.Equal(CoapCode.Get, req.Code);
        Assert.Equal(2, req.CountOption(CoapOptionNumber.UriPath));
        Assert.True(req.HasOption(CoapOptionNumber.UriHost));
        Assert.False(req.HasOption(CoapOptionNumber.Oscore));
        Assert.True(req.TryGetUint(CoapOptionNumber.Accept, out uint accept) && accept == 60);

        var resp = new CoapMessage { Type = CoapMessageType.Acknowledgement, Code = CoapCode.Content, MessageId = 0x1234 };
        resp.AddUintOption(CoapOptionNumber.ContentFormat, 0);
        byte[] body = Encoding.ASCII.GetBytes("22.5 C");
        resp.SetPayload(body, 0, body.Length);
        Assert.Equal(OscoreStatus.Ok, _server.ProtectResponse(resp, se, false));
        Assert.Equal(CoapCode.Changed, resp.Code);
        Assert.False(resp.HasOption(CoapOptionNumber.ContentFormat));

        var got = ParseNew(Serialize(resp));
        Assert.Equal(OscoreStatus.Ok, _client.UnprotectResponse(got, e));
        Assert.Equal(CoapCode.Content, got.Code);
        Assert.Equal("22.5 C", Encoding.ASCII.GetString(got.PayloadBuffer, got.PayloadOffset, got.PayloadLength));
    }

    [Fact]
    public void Block_options_are_inner_when_protected_and_outer_ones_are_discarded_on_receipt()
    {
        var client = C1Client();
        var e = new OscoreExchange();
        var m = Get("/big");
        m.AddUintOption(CoapOptionNumber.Block2, 0x16);
        m.AddUintOption(CoapOptionNumber.Block1, 0x0E);
        Assert.Equal(OscoreStatus.Ok, _client.ProtectRequest(m, client, false, e));
        // RFC 8613 §4.1.3.4.1: Inner Block options are encrypted; the endpoint adds no Outer copy.
        Assert.False(m.HasOption(CoapOptionNumber.Block2));
        Assert.False(m.HasOption(CoapOptionNumber.Block1));
        // An Outer Block2 added on the way (outer block-wise, §4.1.3.4.2) is class E+U and is discarded on receipt.
        m.AddUintOption(CoapOptionNumber.Block2, 0x55);
        var req = ParseNew(Serialize(m));
        Assert.Equal(OscoreStatus.Ok, _server.UnprotectRequest(req, Table(C1Server()), new OscoreExchange()));
        Assert.True(req.TryGetUint(CoapOptionNumber.Block2, out uint b2) && b2 == 0x16);
        Assert.Equal(1, req.CountOption(CoapOptionNumber.Block2));
        Assert.True(req.TryGetUint(CoapOptionNumber.Block1, out uint b1) && b1 == 0x0E);
        Assert.True(OscoreOptionClass.IsClassE(CoapOptionNumber.Block1) && OscoreOptionClass.IsClassU(CoapOptionNumber.Block1));
        Assert.True(OscoreOptionClass.IsClassE(CoapOptionNumber.Block2) && OscoreOptionClass.IsClassU(CoapOptionNumber.Block2));
    }

    [Fact]
    public void Option_classes_follow_figure_5()
    {
        int[] uOnly = [3, 7, 9, 35, 39];
        int[] both = [6, 14, 23, 27, 28, 60, 258];
        int[] eOnly = [1, 4, 5, 8, 11, 12, 15, 17, 20, 252, 292, 65000];
        foreach (int n in uOnly)
        {
            Assert.False(OscoreOptionClass.IsClassE(n));
            Assert.True(OscoreOptionClass.IsClassU(n));
        }

        foreach (int n in both)
        {
            Assert.True(OscoreOptionClass.IsClassE(n) && OscoreOptionClass.IsClassU(n));
        }

        foreach (int n in eOnly)
        {
            Assert.True(OscoreOptionClass.IsClassE(n));
            Assert.False(OscoreOptionClass.IsClassU(n));
        }
    }

    [Fact]
    public void Observe_registration_uses_fetch_and_notifications_carry_their_own_partial_iv()
    {
        var client = C1Client();
        var server = C1Server();
        var table = Table(server);
        var e = new OscoreExchange();
        var m = Get("/obs");
        m.AddUintOption(CoapOptionNumber.Observe, 0);
        Assert.Equal(OscoreStatus.Ok, _client.ProtectRequest(m, client, false, e));
        Assert.Equal(CoapCode.Fetch, m.Code);
        Assert.True(m.HasOption(CoapOptionNumber.Observe));
        var req = ParseNew(Serialize(m));
        var se = new OscoreExchange();
        Assert.Equal(OscoreStatus.Ok, _server.UnprotectRequest(req, table, se));
        Assert.Equal(CoapCode.Get, req.Code);
        Assert.True(req.TryGetUint(CoapOptionNumber.Observe, out uint obs) && obs == 0);

        var registration = new OscoreExchange();
        registration.CopyFrom(se);
        var notes = new List<byte[]>();
        for (uint i = 1; i <= 3; i++)
        {
            var n = new CoapMessage { Type = CoapMessageType.NonConfirmable, Code = CoapCode.Content, MessageId = (int)(100 + i) };
            n.AddUintOption(CoapOptionNumber.Observe, i);
            byte[] body = [(byte)i];
            n.SetPayload(body, 0, 1);
            Assert.Equal(OscoreStatus.Ok, _server.ProtectResponse(n, registration, false));
            Assert.Equal(CoapCode.Content, n.Code);
            Assert.True(n.TryGetUint(CoapOptionNumber.Observe, out uint outer) && outer == i);
            notes.Add(Serialize(n));
        }

        var r2 = ParseNew(notes[1]);
        Assert.Equal(OscoreStatus.Ok, _client.UnprotectResponse(r2, e));
        Assert.Equal(2, r2.PayloadBuffer[r2.PayloadOffset]);
        // RFC 8613 §7.4.1: an older notification after a newer one is refused.
        Assert.Equal(OscoreStatus.ReplayDetected, _client.UnprotectResponse(ParseNew(notes[0]), e));
        Assert.Equal(OscoreStatus.ReplayDetected, _client.UnprotectResponse(ParseNew(notes[1]), e));
        var r3 = ParseNew(notes[2]);
        Assert.Equal(OscoreStatus.Ok, _client.UnprotectResponse(r3, e));
        // The Inner Observe of a notification is empty (§4.1.3.5.2).
        Assert.Equal(0, r3.GetOptionLength(r3.FindOption(CoapOptionNumber.Observe)));
    }

    [Fact]
    public void Replayed_request_is_refused_with_4_01_replay_detected()
    {
        var client = C1Client();
        var table = Table(C1Server());
        byte[] wire = ProtectGet(client, new OscoreExchange());
        Assert.Equal(OscoreStatus.Ok, _server.UnprotectRequest(ParseNew(wire), table, new OscoreExchange()));
        var again = ParseNew(wire);
        Assert.Equal(OscoreStatus.ReplayDetected, _server.UnprotectRequest(again, table, new OscoreExchange()));
        var resp = new CoapMessage();
        Assert.True(OscoreErrors.WriteErrorResponse(OscoreStatus.ReplayDetected, resp));
        Assert.Equal(CoapCode.Unauthorized, resp.Code);
        Assert.Equal("Replay detected", Encoding.ASCII.GetString(resp.PayloadBuffer, resp.PayloadOffset, resp.PayloadLength));
        Assert.True(resp.TryGetUint(CoapOptionNumber.MaxAge, out uint age) && age == 0);
    }

    [Fact]
    public void Window_is_updated_only_after_successful_decryption()
    {
        var client = C1Client();
        var server = C1Server();
        var table = Table(server);
        SkipTo(client, 50);
        byte[] wire = ProtectGet(client, new OscoreExchange());
        byte[] forged = (byte[])wire.Clone();
        forged[^1] ^= 1;
        Assert.Equal(OscoreStatus.DecryptionFailed, _server.UnprotectRequest(ParseNew(forged), table, new OscoreExchange()));
        Assert.Equal(-1, server.ReplayWindow.Highest);
        Assert.Equal(OscoreStatus.Ok, _server.UnprotectRequest(ParseNew(wire), table, new OscoreExchange()));
        Assert.Equal(50, server.ReplayWindow.Highest);
    }

    [Theory]
    [InlineData("44025d1f00003974396c6f63616c686f7374620914ff612f1092f1776f1c1668b3825f", OscoreStatus.DecryptionFailed, 0x80, "Decryption failed")]
    [InlineData("44025d1f00003974396c6f63616c686f737463091402ff612f1092f1776f1c1668b3825e", OscoreStatus.SecurityContextNotFound, 0x81, "Security context not found")]
    [InlineData("44025d1f00003974396c6f63616c686f737462e914ff612f1092f1776f1c1668b3825e", OscoreStatus.BadOption, 0x82, "Failed to decode COSE")]
    [InlineData("44025d1f00003974396c6f63616c686f737461 08ff612f1092f1776f1c1668b3825e", OscoreStatus.BadOption, 0x82, "Failed to decode COSE")]
    [InlineData("44025d1f00003974396c6f63616c686f7374620914ff612f10", OscoreStatus.BadOption, 0x82, "Failed to decode COSE")]
    [InlineData("44025d1f00003974396c6f63616c686f7374620f14ff612f1092f1776f1c1668b3825e", OscoreStatus.BadOption, 0x82, "Failed to decode COSE")]
    [InlineData("44025d1f00003974396c6f63616c686f73746419140837ff612f1092f1776f1c1668b3825e", OscoreStatus.BadOption, 0x82, "Failed to decode COSE")]
    public void Section_8_errors_carry_their_code_and_diagnostic(string hex, OscoreStatus expected, int code, string text)
    {
        var m = ParseNew(Hex.Parse(hex));
        OscoreStatus s = _server.UnprotectRequest(m, Table(C1Server()), new OscoreExchange());
        Assert.Equal(expected, s);
        var resp = new CoapMessage();
        Assert.True(OscoreErrors.WriteErrorResponse(s, resp));
        Assert.Equal(code, resp.Code);
        Assert.Equal(text, Encoding.ASCII.GetString(resp.PayloadBuffer, resp.PayloadOffset, resp.PayloadLength));
    }

    [Fact]
    public void Two_oscore_options_are_a_bad_option_and_none_is_not_protected()
    {
        var m = ParseNew(Hex.Parse("44025d1f00003974396c6f63616c686f7374620914020914ff612f1092f1776f1c1668b3825e"));
        Assert.Equal(OscoreStatus.BadOption, _server.UnprotectRequest(m, Table(C1Server()), new OscoreExchange()));
        m = ParseNew(Hex.Parse("44015d1f00003974396c6f63616c686f737483747631"));
        Assert.Equal(OscoreStatus.NotProtected, _server.UnprotectRequest(m, Table(C1Server()), new OscoreExchange()));
    }

    [Fact]
    public void Kid_context_selects_between_contexts_with_the_same_recipient_id()
    {
        var p = Managed();
        var other = new SecurityContext(p, Hex.Parse("ffffffffffffffffffffffffffffffff"), null, [0x01], [], [0x99]);
        var table = Table(other, C3Server());
        byte[] wire = ProtectGet(C3Client(), new OscoreExchange(), "/tv1", true);
        var se = new OscoreExchange();
        Assert.Equal(OscoreStatus.Ok, _server.UnprotectRequest(ParseNew(wire), table, se));
        Assert.True(se.Context.HasIdContext);
        Assert.NotSame(other, se.Context);
    }

    private sealed class MemoryStore : ISequenceNumberStore
    {
        public long Value;
        public bool Has;
        public int Writes;

        public bool TryLoad(out long value)
        {
            value = Value;
            return Has;
        }

        public void Save(long value)
        {
            Value = value;
            Has = true;
            Writes++;
        }
    }

    private static SecurityContext StoredClient(MemoryStore store, int k) =>
        new(Managed(), MasterSecret, MasterSalt, [], [0x01], null, new SecurityContextOptions { SequenceNumberStore = store, ReserveStep = k });

    [Fact]
    public void B_1_1_sequence_numbers_are_reserved_in_steps_of_K_and_resume_after_reboot()
    {
        var store = new MemoryStore();
        var client = StoredClient(store, 4);
        for (int i = 0; i < 10; i++)
        {
            ProtectGet(client, new OscoreExchange());
        }

        // Numbers 0..9 used; reservations written at 0 (to 4), 4 (to 8) and 8 (to 12).
        Assert.Equal(3, store.Writes);
        Assert.Equal(12, store.Value);

        // "Reboot": a new context from the same store starts at the stored value, above every number used.
        var rebooted = StoredClient(store, 4);
        Assert.Equal(12, rebooted.SenderSequenceNumber);
        var m = ParseNew(ProtectGet(rebooted, new OscoreExchange()));
        int at = m.FindOption(CoapOptionNumber.Oscore);
        Assert.Equal("090c", Hex.Of(m.GetOptionBuffer(at), m.GetOptionOffset(at), m.GetOptionLength(at)));
    }

    [Fact]
    public void Sender_sequence_number_exhaustion_stops_protection()
    {
        var store = new MemoryStore { Has = true, Value = ReplayWindow.MaxSequenceNumber - 1 };
        var client = StoredClient(store, 1);
        var m = Get("/x");
        Assert.Equal(OscoreStatus.Ok, _client.ProtectRequest(m, client, false, new OscoreExchange()));
        Assert.True(client.IsExhausted);
        Assert.Equal(OscoreStatus.SequenceNumberExhausted, _client.ProtectRequest(Get("/x"), client, false, new OscoreExchange()));
    }

    [Fact]
    public void B_1_2_after_reboot_the_first_request_gets_a_protected_echo_challenge_and_the_echo_sets_the_window()
    {
        var client = C1Client();
        var server = C1Server(null, 32, unknown: true);
        var table = Table(server);
        var ce = new OscoreExchange();
        byte[] first = ProtectGet(client, ce);

        var se = new OscoreExchange();
        Assert.Equal(OscoreStatus.FreshnessRequired, _server.UnprotectRequest(ParseNew(first), table, se));
        var challenge = new CoapMessage { Type = CoapMessageType.Acknowledgement };
        Assert.Equal(OscoreStatus.Ok, _server.ProtectEchoChallenge(challenge, se));
        // Its own Partial IV: the request may be a replay (Appendix B.1.2).
        int at = challenge.FindOption(CoapOptionNumber.Oscore);
        Assert.True(challenge.GetOptionLength(at) > 0);
        var c = ParseNew(Serialize(challenge));
        Assert.Equal(OscoreStatus.Ok, _client.UnprotectResponse(c, ce));
        Assert.Equal(CoapCode.Unauthorized, c.Code);
        int echo = c.FindOption(CoapOptionNumber.Echo);
        Assert.Equal(8, c.GetOptionLength(echo));
        byte[] echoValue = new byte[8];
        Array.Copy(c.GetOptionBuffer(echo), c.GetOptionOffset(echo), echoValue, 0, 8);

        // The same first request again is challenged again, with the same Echo value kept in the context.
        var se2 = new OscoreExchange();
        Assert.Equal(OscoreStatus.FreshnessRequired, _server.UnprotectRequest(ParseNew(first), table, se2));

        // A request carrying the Echo (Inner, class E) is accepted and starts the window.
        var m = Get("/tv1");
        m.AddOption(CoapOptionNumber.Echo, echoValue, 0, 8);
        Assert.Equal(OscoreStatus.Ok, _client.ProtectRequest(m, client, false, new OscoreExchange()));
        Assert.False(m.HasOption(CoapOptionNumber.Echo));
        var req = ParseNew(Serialize(m));
        Assert.Equal(OscoreStatus.Ok, _server.UnprotectRequest(req, table, new OscoreExchange()));
        Assert.False(server.FreshnessRequired);
        Assert.Equal(client.SenderSequenceNumber - 1, server.ReplayWindow.Highest);

        // Old requests from before the proof are now replays; new ones pass.
        Assert.Equal(OscoreStatus.ReplayDetected, _server.UnprotectRequest(ParseNew(first), table, new OscoreExchange()));
        Assert.Equal(OscoreStatus.Ok, _server.UnprotectRequest(ParseNew(ProtectGet(client, new OscoreExchange())), table, new OscoreExchange()));
    }

    [Fact]
    public void Wrong_echo_is_challenged_again()
    {
        var client = C1Client();
        var table = Table(C1Server(null, 32, unknown: true));
        var se = new OscoreExchange();
        Assert.Equal(OscoreStatus.FreshnessRequired, _server.UnprotectRequest(ParseNew(ProtectGet(client, new OscoreExchange())), table, se));
        _server.ProtectEchoChallenge(new CoapMessage(), se);
        var m = Get("/tv1");
        m.AddOption(CoapOptionNumber.Echo, new byte[8], 0, 8);
        _client.ProtectRequest(m, client, false, new OscoreExchange());
        Assert.Equal(OscoreStatus.FreshnessRequired, _server.UnprotectRequest(ParseNew(Serialize(m)), table, new OscoreExchange()));
    }
}
