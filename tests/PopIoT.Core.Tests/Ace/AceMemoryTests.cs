#nullable disable
using System;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;

using Xunit;
using Xunit.Abstractions;

namespace PopIoT.Core.Tests.Ace;

/// <summary>Fixed memory (DESIGN.md §6, §8): eviction under pressure, zero allocations on the request path, state per slot.</summary>
[Collection(AceSerialCollection.Name)]
public class AceMemoryTests
{
    private readonly ITestOutputHelper _output;

    public AceMemoryTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Four_slots_ten_clients_taking_turns_each_works_or_gets_a_clean_401_then_succeeds_after_reposting()
    {
        var settings = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { Slots = 4 };
        var rig = new AceRig(settings);
        var clients = new AceTestClient[10];
        for (int i = 0; i < clients.Length; i++)
        {
            clients[i] = new AceTestClient(i, new TokenSpec { Id = [(byte)(i + 1)] });
            Assert.Equal(CoapCode.Created, clients[i].Post(rig));
        }

        var rng = new Random(4);
        int reposts = 0;
        for (int round = 0; round < 300; round++)
        {
            AceTestClient c = clients[rng.Next(clients.Length)];
            byte code = c.Request(rig, CoapCode.Get, "/temp");
            if (code == CoapCode.Unauthorized)
            {
                // Evicted: the RS says "security context not found", never anything served or half-served.
                Assert.Equal(AceRsError.SecurityContextNotFound, rig.Server.LastDecision.Error);
                Assert.Equal(CoapCode.Created, c.Post(rig));
                reposts++;
                code = c.Request(rig, CoapCode.Get, "/temp");
            }

            Assert.Equal(CoapCode.Content, code);
            Assert.True(rig.Server.ActiveSlots <= 4);
        }

        Assert.True(reposts > 0);
        Assert.True(rig.Server.Evictions >= reposts);
        _output.WriteLine($"{reposts} re-posts, {rig.Server.Evictions} evictions over 300 turns");
    }

    [Fact]
    public void Protected_requests_and_repeated_authz_info_posts_allocate_nothing_after_warm_up()
    {
        var rig = new AceRig();
        var c = new AceTestClient(1, new TokenSpec { Scope = "read write" });
        Assert.Equal(CoapCode.Created, c.Post(rig));
        const int Count = 1200;
        var requests = new byte[Count][];
        for (int i = 0; i < Count; i++)
        {
            requests[i] = i % 3 == 2 ? c.Protect(CoapCode.Put, "/led", "on", i + 1) : c.Protect(CoapCode.Get, i % 3 == 0 ? "/temp" : "/led", null, i + 1);
        }

        // Re-posting the stored token (idempotent) and an access-rights update for the same key (RFC 9203 §4.1).
        byte[] repost = AceTestSupport.Serialize(PostMessage(AuthzInfoRequest.Encode(c.Token, null, null)));
        byte[] forged = (byte[])c.Token.Clone();
        forged[^1] ^= 0x80;
        byte[] badToken = AceTestSupport.Serialize(PostMessage(AuthzInfoRequest.Encode(forged, [1, 2, 3, 4, 5, 6, 7, 8], [1])));
        byte[] garbage = AceTestSupport.Serialize(PostMessage([0xa1, 0x01]));
        var plain = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get, MessageId = 5 };
        plain.AddUriPath("/temp");
        byte[] unprotected = AceTestSupport.Serialize(plain);

        void Run(int i)
        {
            // The outer code of an OSCORE response is 2.04 (RFC 8613 §4.2).
            if (rig.ExchangeCode(1, requests[i]) != CoapCode.Changed
                || rig.ExchangeCode(1, repost) != CoapCode.Created
                || rig.ExchangeCode(1, badToken) != CoapCode.Unauthorized
                || rig.ExchangeCode(1, garbage) != CoapCode.BadRequest
                || rig.ExchangeCode(1, unprotected) != CoapCode.Unauthorized)
            {
                throw new InvalidOperationException("unexpected code");
            }
        }

        for (int i = 0; i < 100; i++)
        {
            Run(i);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 100; i < Count; i++)
        {
            Run(i);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(1, rig.Server.ActiveSlots);
        Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/temp"));
    }

    [Fact]
    public void Storing_a_new_token_allocates_only_its_new_context()
    {
        var rig = new AceRig();
        var clients = new AceTestClient[40];
        var posts = new byte[40][];
        for (int i = 0; i < clients.Length; i++)
        {
            clients[i] = new AceTestClient(i, new TokenSpec { Id = [(byte)i] });
            posts[i] = AceTestSupport.Serialize(PostMessage(AuthzInfoRequest.Encode(clients[i].Token, [1, 2, 3, 4, 5, 6, 7, (byte)i], [0x41])));
        }

        for (int i = 0; i < 10; i++)
        {
            rig.Exchange(i, posts[i]);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 10; i < 40; i++)
        {
            byte[] r = rig.Exchange(i, posts[i]);
            Assert.Equal(CoapCode.Created, r[1]);
        }

        long perPost = (GC.GetAllocatedBytesForCurrentThread() - before) / 30;
        _output.WriteLine($"{perPost} bytes allocated per new token (its SecurityContext, keyed AES-CCM objects and derivation temporaries)");
        Assert.True(perPost < 8192, perPost.ToString());
    }

    [Fact]
    public void State_bytes_per_slot_measured_and_8_slots_with_a_32_bit_window()
    {
        var settings = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri);
        const int Engines = 10;
        long empty = MeasureEngines(settings, Engines, 0) / Engines;
        long full = MeasureEngines(settings, Engines, 8) / Engines;
        long perContext = (full - empty) / 8;
        var wide = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { Slots = 16 };
        long bookkeeping = (MeasureEngines(wide, Engines, 0) / Engines - empty) / 8;
        long perSlot = perContext + bookkeeping;
        int estimate = AceResourceServer.StateBytesPerSlot(settings);
        _output.WriteLine($"64-bit CLR, managed crypto, 32-bit window: fixed engine state with 8 empty slots {empty} bytes; per slot {bookkeeping} bytes of table + {perContext} bytes of OSCORE context = {perSlot} bytes (estimate {estimate}); 8 clients: {8 * perSlot} bytes of per-client state, {full} bytes in total");
        Assert.True(perSlot > 0 && perSlot < 4096, perSlot.ToString());

        // A small board profile: smaller buffers shrink the fixed part; the per-slot part is the OSCORE context's.
        var small = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { MaxTokenSize = 256, BlockwiseSlots = 1, MaxMessageSize = 256, MaxResources = 6, MaxScopeEntries = 6 };
        long smallEmpty = MeasureEngines(small, Engines, 0) / Engines;
        long smallFull = MeasureEngines(small, Engines, 8) / Engines;
        _output.WriteLine($"small profile (256-byte tokens and messages, 1 block-wise buffer, 6 resources): fixed {smallEmpty} bytes, with 8 clients {smallFull} bytes");
    }

    internal static CoapMessage PostMessage(byte[] payload)
    {
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Post, MessageId = 1 };
        m.AddUriPath("/authz-info");
        m.SetPayload(payload, 0, payload.Length);
        return m;
    }

    private static long MeasureEngines(AceRsSettings settings, int engines, int tokens)
    {
        var posts = new byte[tokens][];
        for (int i = 0; i < tokens; i++)
        {
            posts[i] = AceTestSupport.Serialize(PostMessage(AuthzInfoRequest.Encode(AceTestSupport.Mint(new TokenSpec { Id = [(byte)i] }), [1, 2, 3, 4, 5, 6, 7, 8], [0x41])));
        }

        var keep = new AceResourceServer[engines];
        var provider = AceTestSupport.Provider();
        var resource = new TestResource(CoapCode.Content, "x");
        var req = new CoapMessage();
        var resp = new CoapMessage();
        long before = GC.GetTotalMemory(true);
        for (int e = 0; e < engines; e++)
        {
            var server = new AceResourceServer(settings, provider);
            server.SetEncrypt0Key(AceTestSupport.AsEncKey());
            server.AddProtectedResource("/temp", CoapMethods.Get, resource);
            server.AddScope("read", "/temp", CoapMethods.Get);
            for (int i = 0; i < tokens; i++)
            {
                req.Parse(posts[i], 0, posts[i].Length);
                resp.Reset();
                server.HandleRequest(i, req, resp);
                if (resp.Code != CoapCode.Created)
                {
                    throw new InvalidOperationException("token refused: " + server.LastDecision);
                }
            }

            keep[e] = server;
        }

        long after = GC.GetTotalMemory(true);
        GC.KeepAlive(keep);
        return after - before;
    }
}
