using System.Net;
using System.Net.Sockets;
using System.Text;
using PopIoT.Coap;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Core;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using PopIoT.Crypto;
using PopIoT.Oscore;
using static PopIoT.AuthorizationServer.Tests.AceTestBed;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// Re-keying a client's OSCORE context with the AS (RFC 8613 Appendix B.2) over UDP loopback, and the attacker's
/// view of it: replayed, forged, unprotected and misdirected messages are refused and change nothing stored.
/// </summary>
public abstract class RekeyingTests(StoreKind kind) : IDisposable
{
    private readonly Lazy<AceTestBed> _lazyBed = new(() => new AceTestBed(kind));

    private AceTestBed Bed => _lazyBed.Value;

    public void Dispose()
    {
        if (_lazyBed.IsValueCreated)
        {
            _lazyBed.Value.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    private static OscoreContextFile Shared(OscoreCredential k, byte[]? senderId = null) => OscoreContextFile.Parse(Encoding.UTF8.GetBytes(
        "{\"sender_id\":\"" + Convert.ToHexStringLower(senderId ?? k.PeerSenderId) + "\",\"recipient_id\":\"" + Convert.ToHexStringLower(k.AsSenderId)
        + "\",\"master_secret\":\"" + Convert.ToHexStringLower(k.MasterSecret) + "\",\"master_salt\":\"" + Convert.ToHexStringLower(k.MasterSalt) + "\",\"alg\":10}"));

    private static CoapMessage Request1(OscoreRekeyingClient run)
    {
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Post, MessageId = Random.Shared.Next(0, 65536) };
        m.SetToken(Guid.NewGuid().ToByteArray(), 0, 8);
        m.AddUriPath("token");
        Assert.Equal(OscoreStatus.Ok, run.ProtectRequest1(m));
        return m;
    }

    private static byte[] Bytes(CoapMessage m)
    {
        byte[] d = new byte[m.GetSerializedLength()];
        m.Serialize(d, 0, d.Length);
        return d;
    }

    private static byte[] KidContext(CoapMessage response)
    {
        int at = response.FindOption(CoapOptionNumber.Oscore);
        Assert.True(at >= 0, "response #1 is protected");
        var o = new OscoreOption();
        Assert.True(o.Decode(response.GetOptionBuffer(at), response.GetOptionOffset(at), response.GetOptionLength(at)));
        Assert.True(o.HasKidContext, "response #1 carries R2 as kid context (RFC 8613 Appendix B.2 step 2)");
        return response.GetOptionBuffer(at).AsSpan(o.KidContextOffset, o.KidContextLength).ToArray();
    }

    private static string Diagnostic(CoapMessage m) => Encoding.UTF8.GetString(m.PayloadBuffer, m.PayloadOffset, m.PayloadLength);

    private async Task<CoapResponse> TokenRequest(Uri asUri, SecurityContext context)
    {
        await using var client = new CoapClient(new CoapClientOptions { Oscore = context, OscoreIncludeKidContext = true, Timeout = TimeSpan.FromSeconds(20) });
        return await Post(client, asUri, "/token", AceTestBed.TokenRequest("temp1"));
    }

    private static CoapMessage ProtectedTokenRequest(SecurityContext context)
    {
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Post, MessageId = Random.Shared.Next(0, 65536) };
        m.SetToken(Guid.NewGuid().ToByteArray(), 0, 8);
        m.AddUriPath("token");
        byte[] body = AceTestBed.TokenRequest("temp1");
        m.SetPayload(body, 0, body.Length);
        Assert.Equal(OscoreStatus.Ok, new OscoreProcessor().ProtectRequest(m, context, true, new OscoreExchange()));
        return m;
    }

    private byte[]? StoredIdContext(string client = "gw1") => Bed.Store.FindClient(client)!.Credential.IdContext;

    [SkippableFact]
    public async Task A_client_re_keys_and_the_as_switches_only_after_request_2_verified_and_keeps_it_across_a_restart()
    {
        Uri asUri = Bed.Start();
        using var run = new OscoreRekeyingClient(Shared(Bed.Gw1.Credential), PlatformCryptoProvider.Instance);
        CoapMessage response1 = await Exchange(asUri, Bytes(Request1(run)));
        byte[] r2 = KidContext(response1);
        Assert.Equal(OscoreRekeyingServer.NonceLength, r2.Length);
        Assert.Equal(OscoreStatus.Ok, run.VerifyResponse1(response1));
        Assert.Equal(CoapCode.Unauthorized, response1.Code);

        // Before request #2 nothing is stored, and the old context still works.
        Assert.Null(StoredIdContext());
        using (SecurityContext old = PeerContext(Bed.Gw1.Credential))
        {
            Assert.Equal(CoapCode.Created, (await TokenRequest(asUri, old)).Code);
        }

        using SecurityContext third = run.CreateThirdContext(null, out byte[] id3);
        Assert.Equal(2 * OscoreRekeyingClient.NonceLength, id3.Length);
        Assert.Equal(r2, id3[..8]);
        Assert.Equal(0, third.SenderSequenceNumber);
        CoapResponse r = await TokenRequest(asUri, third);
        Assert.Equal(CoapCode.Created, r.Code);
        Assert.Equal(id3, StoredIdContext());

        // The old context is gone: its requests are now refused.
        using (SecurityContext old = PeerContext(Bed.Gw1.Credential))
        {
            await using CoapClient c = Client(old);
            Assert.Equal(CoapCode.Unauthorized, (await Post(c, asUri, "/token", AceTestBed.TokenRequest("temp1"))).Code);
        }

        // A restarted AS loads the new ID Context from its registry; the client's next request proves freshness with Echo.
        Bed.Server.Dispose();
        using var again = new AceAuthorizationServer(Bed.Store, Bed.Settings, PlatformCryptoProvider.Instance);
        IPEndPoint at = again.Start(new IPEndPoint(IPAddress.Loopback, 0));
        Assert.Equal(CoapCode.Created, (await TokenRequest(new Uri("coap://127.0.0.1:" + at.Port), third)).Code);
    }

    [SkippableFact]
    public async Task A_replayed_request_1_gets_a_new_r2_and_changes_nothing_stored()
    {
        Uri asUri = Bed.Start();
        using var run = new OscoreRekeyingClient(Shared(Bed.Gw1.Credential), PlatformCryptoProvider.Instance);
        byte[] request1 = Bytes(Request1(run));
        CoapMessage first = await Exchange(asUri, request1);
        CoapMessage replayed = await Exchange(asUri, request1);

        // R2 is never reused (it would reuse the request's nonce under the same key, RFC 8613 Appendix B.2 step 2).
        Assert.NotEqual(KidContext(first), KidContext(replayed));
        Assert.Null(StoredIdContext());

        // Only the latest R2 of a client is kept (one per client): the first response's run cannot finish. Its request #2
        // looks to the AS like a new request #1 (its ID Context names no R2 it holds) and gets a new response #1.
        Assert.Equal(OscoreStatus.Ok, run.VerifyResponse1(first));
        using SecurityContext stale = run.CreateThirdContext(null, out _);
        CoapMessage r = await Exchange(asUri, Bytes(ProtectedTokenRequest(stale)));
        Assert.Equal(CoapCode.Changed, r.Code); // the Outer code of a protected 4.01 (RFC 8613 §4.2)
        Assert.Equal(OscoreRekeyingServer.NonceLength, KidContext(r).Length);
        Assert.Null(StoredIdContext());
    }

    [SkippableFact]
    public async Task A_forged_r2_or_a_request_2_without_the_key_is_refused_and_the_run_can_still_finish()
    {
        Uri asUri = Bed.Start();
        using var run = new OscoreRekeyingClient(Shared(Bed.Gw1.Credential), PlatformCryptoProvider.Instance);
        CoapMessage response1 = await Exchange(asUri, Bytes(Request1(run)));
        byte[] r2 = KidContext(response1);
        Assert.Equal(OscoreStatus.Ok, run.VerifyResponse1(response1));

        // An attacker has R2 (it travels in the clear) and gw1's kid, not its Master Secret: R2 || R3 and a forged R2'
        // || R3 are both refused, and neither replaces the pending R2.
        byte[] r3 = new byte[8];
        Random.Shared.NextBytes(r3);
        byte[] forgedR2 = new byte[8];
        Random.Shared.NextBytes(forgedR2);
        byte[] wrongSecret = (byte[])Bed.Gw1.Credential.MasterSecret.Clone();
        wrongSecret[0] ^= 1;
        foreach (byte[] idContext in new byte[][] { [.. r2, .. r3], [.. forgedR2, .. r3] })
        {
            using var c = new SecurityContext(PlatformCryptoProvider.Instance, wrongSecret, Bed.Gw1.Credential.MasterSalt, Bed.Gw1.Credential.PeerSenderId, Bed.Gw1.Credential.AsSenderId, idContext);
            CoapMessage r = await Exchange(asUri, Bytes(ProtectedTokenRequest(c)));
            Assert.Equal(CoapCode.BadRequest, r.Code);
            Assert.Equal("Decryption failed", Diagnostic(r));
        }

        Assert.Null(StoredIdContext());

        // The client's own request #2 still completes the run.
        using SecurityContext third = run.CreateThirdContext(null, out byte[] id3);
        Assert.Equal(CoapCode.Created, (await TokenRequest(asUri, third)).Code);
        Assert.Equal(id3, StoredIdContext());
    }

    [SkippableFact]
    public async Task A_replayed_request_2_meets_the_replay_window_of_the_new_context()
    {
        Uri asUri = Bed.Start();
        using var run = new OscoreRekeyingClient(Shared(Bed.Gw1.Credential), PlatformCryptoProvider.Instance);
        Assert.Equal(OscoreStatus.Ok, run.VerifyResponse1(await Exchange(asUri, Bytes(Request1(run)))));
        using SecurityContext third = run.CreateThirdContext(null, out byte[] id3);

        // Request #2 by hand, so the same datagram can be sent twice.
        var request2 = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Post, MessageId = 7 };
        request2.SetToken([1, 2, 3, 4], 0, 4);
        request2.AddUriPath("token");
        byte[] body = AceTestBed.TokenRequest("temp1");
        request2.SetPayload(body, 0, body.Length);
        Assert.Equal(OscoreStatus.Ok, new OscoreProcessor().ProtectRequest(request2, third, true, new OscoreExchange()));
        byte[] datagram = Bytes(request2);
        Assert.Equal(CoapCode.Changed, (await Exchange(asUri, datagram)).Code);
        Assert.Equal(id3, StoredIdContext());

        // A new message ID, so CoAP deduplication does not answer it from its cache (RFC 7252 §4.5).
        datagram[2] = 0x55;
        CoapMessage replay = await Exchange(asUri, datagram);
        Assert.Equal(CoapCode.Unauthorized, replay.Code);
        Assert.Equal("Replay detected", Diagnostic(replay));
        Assert.Equal(id3, StoredIdContext());
    }

    [SkippableFact]
    public async Task Request_1_for_an_unknown_kid_or_a_client_not_allowed_to_re_key_is_refused_as_an_unknown_context()
    {
        Uri asUri = Bed.Start();
        using (var unknown = new OscoreRekeyingClient(Shared(Bed.Gw1.Credential, [0xee, 0xee, 0xee]), PlatformCryptoProvider.Instance))
        {
            CoapMessage r = await Exchange(asUri, Bytes(Request1(unknown)));
            Assert.Equal(CoapCode.Unauthorized, r.Code);
            Assert.Equal("Security context not found", Diagnostic(r));
            Assert.NotEqual(OscoreStatus.Ok, unknown.VerifyResponse1(r));
        }

        ClientRecord gw3 = Bed.Registry.AddClient("gw3", rekeying: false);
        using (var barred = new OscoreRekeyingClient(Shared(gw3.Credential), PlatformCryptoProvider.Instance))
        {
            CoapMessage r = await Exchange(asUri, Bytes(Request1(barred)));
            Assert.Equal(CoapCode.Unauthorized, r.Code);
            Assert.Equal("Security context not found", Diagnostic(r));
        }

        Assert.Null(StoredIdContext("gw3"));
        Assert.Null(StoredIdContext());
    }

    [SkippableFact]
    public async Task The_client_refuses_a_response_1_under_the_old_context_a_changed_r2_or_an_unprotected_one()
    {
        Uri asUri = Bed.Start();
        using var run = new OscoreRekeyingClient(Shared(Bed.Gw1.Credential), PlatformCryptoProvider.Instance);
        CoapMessage request1 = Request1(run);
        CoapMessage genuine = await Exchange(asUri, Bytes(request1));

        // R2 changed on the way: the keys derived from it do not verify the response.
        byte[] changed = Bytes(genuine);
        int at = changed.AsSpan().IndexOf(KidContext(genuine));
        changed[at] ^= 1;
        var m = new CoapMessage();
        Assert.Equal(CoapParseError.None, m.Parse(changed, 0, changed.Length));
        Assert.Equal(OscoreStatus.DecryptionFailed, run.VerifyResponse1(m));
        Assert.False(run.Verified);

        // Unprotected (an attacker's 4.01 without OSCORE), and one without a kid context.
        var plain = new CoapMessage { Code = CoapCode.Unauthorized };
        Assert.Equal(OscoreStatus.NotProtected, run.VerifyResponse1(plain));
        var noKidContext = new CoapMessage { Code = CoapCode.Changed };
        noKidContext.AddOption(CoapOptionNumber.Oscore, [], 0, 0);
        Assert.Equal(OscoreStatus.BadOption, run.VerifyResponse1(noKidContext));

        // A 4.01 protected under the old context (no ID Context) for the same kid and Partial IV, with the genuine R2.
        OscoreCredential k = Bed.Gw1.Credential;
        using (SecurityContext clientOld = PeerContext(k))
        using (var asOld = new SecurityContext(PlatformCryptoProvider.Instance, k.MasterSecret, k.MasterSalt, k.AsSenderId, k.PeerSenderId, null!))
        {
            var exchange = new OscoreExchange();
            var same = new CoapMessage { Code = CoapCode.Post };
            same.AddUriPath("token");
            Assert.Equal(OscoreStatus.Ok, new OscoreProcessor().ProtectRequest(same, clientOld, false, exchange));
            exchange.Rebind(asOld);
            var old = new CoapMessage { Code = CoapCode.Unauthorized };
            Assert.Equal(OscoreStatus.Ok, new OscoreProcessor().ProtectResponse(old, exchange, false));
            byte[] r2 = KidContext(genuine);
            byte[] option = new byte[OscoreOption.MaxEncodedLength];
            int length = OscoreOption.Encode(default, new ByteRange(r2, 0, r2.Length), default, option, 0);
            old.RemoveOption(CoapOptionNumber.Oscore);
            old.AddOption(CoapOptionNumber.Oscore, option, 0, length);
            Assert.Equal(OscoreStatus.DecryptionFailed, run.VerifyResponse1(old));
            Assert.False(run.Verified);
        }

        Assert.Equal(OscoreStatus.Ok, run.VerifyResponse1(genuine));
        Assert.True(run.Verified);
        Assert.Null(StoredIdContext());
    }

    [SkippableFact]
    public async Task An_r2_is_dropped_after_its_lifetime_and_the_number_of_runs_waiting_is_bounded()
    {
        var clock = new TestClock();
        using var server = new AceAuthorizationServer(Bed.Store, Bed.Settings, PlatformCryptoProvider.Instance, clock);
        Uri asUri = new("coap://127.0.0.1:" + server.Start(new IPEndPoint(IPAddress.Loopback, 0)).Port);
        using var run = new OscoreRekeyingClient(Shared(Bed.Gw1.Credential), PlatformCryptoProvider.Instance);
        Assert.Equal(OscoreStatus.Ok, run.VerifyResponse1(await Exchange(asUri, Bytes(Request1(run)))));
        using SecurityContext third = run.CreateThirdContext(null, out _);

        // Appendix B.2.1: a run that does not finish in time leaves nothing; its request #2 only starts another run.
        clock.Advance(TimeSpan.FromMinutes(2));
        CoapMessage late = await Exchange(asUri, Bytes(ProtectedTokenRequest(third)));
        Assert.Equal(CoapCode.Changed, late.Code);
        Assert.Equal(OscoreRekeyingServer.NonceLength, KidContext(late).Length);
        Assert.Null(StoredIdContext());

        // 64 clients may wait between request #1 and request #2 at once; the next gets an unprotected 5.03.
        using var many = new AceTestBed(kind, extraClients: 65);
        Uri manyUri = many.Start();
        CoapMessage? last = null;
        for (int i = 0; i <= 64; i++)
        {
            using var r = new OscoreRekeyingClient(Shared(many.Store.FindClient("load" + i)!.Credential), PlatformCryptoProvider.Instance);
            last = await Exchange(manyUri, Bytes(Request1(r)));
            Assert.Equal(i < 64 ? CoapCode.Changed : CoapCode.ServiceUnavailable, last.Code);
        }

        Assert.Equal(-1, last!.FindOption(CoapOptionNumber.Oscore));
    }
}

/// <summary>The suite on SQLite.</summary>
public sealed class RekeyingTestsOnSqlite() : RekeyingTests(StoreKind.Sqlite);

/// <summary>The suite on PostgreSQL.</summary>
public sealed class RekeyingTestsOnPostgres() : RekeyingTests(StoreKind.Postgres);
