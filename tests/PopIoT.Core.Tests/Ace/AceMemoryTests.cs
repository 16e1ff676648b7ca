#nullable disable
using System;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;
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
        // Eviction itself is the point: ten clients take turns on four slots with no time passing, so the eviction
        // protection and the /authz-info rate limits (AceAdmissionTests) are off here.
        var settings = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { Slots = 4, EvictionProtectionSeconds = 0, AuthzInfoPeerBurst = 0, AuthzInfoBurst = 0 };
        var rig = new AceRig(settings);
        var clients = new AceTestClient[10];
        for (int i = 0; i < clients.Length; i++)
        {
            clients[i] = new AceTestClient(i, new TokenSpec { Id = [(byte)(i + 1)] });
            Assert.Equal(CoapCode.Created, clients[i].Post(rig));
        }

        var rng = SeededRandomSource.NewRandom(4);
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
        // One peer posts 1,200 times with no time passing: the rate limits would refuse it, so they are off here (a
        // refusal's own allocations are measured in AceAdmissionTests).
        var rig = new AceRig(new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { AuthzInfoPeerBurst = 0, AuthzInfoBurst = 0 });
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

        // Warm-up: each path runs once before measuring (the project turns tiered compilation off, so no
        // recompilation can land inside the measured loop).
        for (int i = 0; i < 150; i++)
        {
            Run(i);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 150; i < Count; i++)
        {
            Run(i);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(1, rig.Server.ActiveSlots);
        Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/temp"));
    }

    [Fact]
    public void Storing_new_tokens_with_evictions_allocates_nothing_after_warm_up()
    {
        // 8 slots, 200 clients: every measured post stores a new token, derives a context in place and, once the
        // table is full, evicts one. With the managed provider the contexts share one re-keyable AES-CCM. No token is
        // used, so none is protected from eviction; 200 posts in no time would exceed the overall rate limit, which
        // is off here (its refusals are measured in AceAdmissionTests).
        var rig = new AceRig(new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { AuthzInfoBurst = 0 });
        const int Clients = 200;
        var posts = new byte[Clients][];
        for (int i = 0; i < Clients; i++)
        {
            var c = new AceTestClient(i, new TokenSpec { Id = [(byte)i, 0x7A] });
            posts[i] = AceTestSupport.Serialize(PostMessage(AuthzInfoRequest.Encode(c.Token, [1, 2, 3, 4, 5, 6, 7, (byte)i], [0x41])));
        }

        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(CoapCode.Created, rig.ExchangeCode(i, posts[i]));
        }

        int evictionsBefore = rig.Server.Evictions;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 50; i < Clients; i++)
        {
            if (rig.ExchangeCode(i, posts[i]) != CoapCode.Created)
            {
                throw new InvalidOperationException("token refused: " + rig.Server.LastDecision);
            }
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        _output.WriteLine($"{allocated} bytes allocated for {Clients - 50} new tokens ({rig.Server.Evictions - evictionsBefore} evictions)");
        Assert.Equal(0, allocated);
        Assert.Equal(Clients - 50, rig.Server.Evictions - evictionsBefore);
        Assert.Equal(8, rig.Server.ActiveSlots);
    }

    [Fact]
    public void A_clockless_engine_with_storage_allocates_nothing_per_request_and_writes_once_per_new_exi_token()
    {
        // docs/ace-rs.md, "Persistence": the exi record is written from a buffer allocated with the engine, before
        // each new highest token is taken; requests write nothing. MemoryDeviceStorage reuses its record's array.
        var storage = new PopIoT.Core.Device.MemoryDeviceStorage(2);
        var rig = new AceRig(new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { HasClock = false, AuthzInfoBurst = 0, AuthzInfoPeerBurst = 0 });
        Assert.True(rig.Server.UseStorage(storage));
        const int Clients = 200;
        var posts = new byte[Clients][];
        for (int i = 0; i < Clients; i++)
        {
            var t = new AceTestClient(i, new TokenSpec { Exp = 0, Exi = 3600, Cti = [(byte)(i + 1)], Id = [(byte)i, 0x7B] });
            posts[i] = AceTestSupport.Serialize(PostMessage(AuthzInfoRequest.Encode(t.Token, [1, 2, 3, 4, 5, 6, 7, (byte)i], [0x42])));
        }

        var c = new AceTestClient(500, new TokenSpec { Exp = 0, Exi = 3600, Cti = [0x00], Id = [0x55] });
        Assert.Equal(CoapCode.Created, c.Post(rig));
        var requests = new byte[300][];
        for (int i = 0; i < requests.Length; i++)
        {
            requests[i] = c.Protect(CoapCode.Get, "/temp", null, i + 1);
        }

        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(CoapCode.Changed, rig.ExchangeCode(500, requests[i]));
        }

        int writes = storage.Writes;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 50; i < requests.Length; i++)
        {
            if (rig.ExchangeCode(500, requests[i]) != CoapCode.Changed)
            {
                throw new InvalidOperationException("request refused: " + rig.Server.LastDecision);
            }
        }

        long perRequest = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, perRequest);
        Assert.Equal(writes, storage.Writes);

        // Each new token moves the number: one write each, from the engine's own buffer (the evictions burn c's token).
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(CoapCode.Created, rig.ExchangeCode(i, posts[i]));
        }

        writes = storage.Writes;
        before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 50; i < Clients; i++)
        {
            if (rig.ExchangeCode(i, posts[i]) != CoapCode.Created)
            {
                throw new InvalidOperationException("token refused: " + rig.Server.LastDecision);
            }
        }

        long perToken = GC.GetAllocatedBytesForCurrentThread() - before;
        _output.WriteLine($"{perToken} bytes allocated for {Clients - 50} posts, {storage.Writes - writes} storage writes");
        Assert.Equal(0, perToken);
        Assert.Equal(Clients - 50, storage.Writes - writes);
    }

    [Fact]
    public void State_bytes_per_slot_measured_and_8_slots_with_a_32_bit_window()
    {
        // DESIGN.md §8 "RS state for 8 clients within 4 KiB". Everything a slot needs (token data, the OSCORE context
        // with its keys, IDs, Common IV and replay window, the table entries) is allocated when the engine is built, so
        // the bytes one more slot costs are the bytes a 16-slot engine allocates beyond an 8-slot one, divided by 8.
        // GetAllocatedBytesForCurrentThread counts this thread only: exact, and blind to tests running in parallel.
        var settings = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri);
        var wide = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { Slots = 16 };
        Build(wide, out _); // first use in this process: static tables, type loading
        long fixedPart = Build(settings, out AceResourceServer server);
        long perSlot = (Build(wide, out _) - fixedPart) / 8;
        Assert.Equal(8, settings.Slots);

        // Filling all 8 slots adds nothing: the state is already there. (A first engine runs the same posts so that
        // one-time costs of the process, such as type initialisers, are not counted.)
        var posts = new byte[8][];
        for (int i = 0; i < 8; i++)
        {
            posts[i] = AceTestSupport.Serialize(PostMessage(AuthzInfoRequest.Encode(AceTestSupport.Mint(new TokenSpec { Id = [(byte)i] }), [1, 2, 3, 4, 5, 6, 7, 8], [0x41])));
        }

        var warm = new AceRig(settings);
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(CoapCode.Created, warm.ExchangeCode(i, posts[i]));
        }

        var rig = new AceRig(settings);
        var codes = new byte[8];
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 8; i++)
        {
            codes[i] = rig.ExchangeCode(i, posts[i]);
        }

        long filling = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.All(codes, c => Assert.Equal(CoapCode.Created, c));
        int model = AceResourceServer.StateBytesPerSlot(settings);
        _output.WriteLine($"64-bit CLR, managed provider, 32-bit window, {settings.MaxResources} resources: {perSlot} bytes per slot (model {model}); 8 clients: {8 * perSlot} bytes; storing 8 tokens allocated {filling} bytes; the fixed part (buffers for {settings.MaxTokenSize}-byte tokens, {settings.MaxMessageSize}-byte messages, block-wise, resources, scopes) is {fixedPart - (8 * perSlot)} bytes");
        Assert.Equal(8, rig.Server.ActiveSlots);
        Assert.Equal(0, filling);
        Assert.True(8 * perSlot <= 4096, (8 * perSlot).ToString());
        Assert.InRange(perSlot, model - 16, model + 16);
        Assert.InRange(fixedPart - (8 * perSlot), 0, 24 * 1024);

        // A wider replay window costs 4 bytes per 32 bits of its slot's stride in the window array, nothing else.
        var w256 = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { ReplayWindowSize = 256 };
        var w256Wide = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { ReplayWindowSize = 256, Slots = 16 };
        long perSlot256 = (Build(w256Wide, out _) - Build(w256, out _)) / 8;
        _output.WriteLine($"256-bit window: {perSlot256} bytes per slot (model {AceResourceServer.StateBytesPerSlot(w256)})");
        Assert.Equal(perSlot + 28, perSlot256);
        Assert.InRange(perSlot256, AceResourceServer.StateBytesPerSlot(w256) - 16, AceResourceServer.StateBytesPerSlot(w256) + 16);

        // The coap_dtls profile adds its area to each slot's bytes (docs/ace-dtls.md): a mark, two peers, the PSK's length and room.
        var dtls = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { ServesDtls = true };
        var dtlsWide = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { ServesDtls = true, Slots = 16 };
        long perSlotDtls = (Build(dtlsWide, out _) - Build(dtls, out _)) / 8;
        _output.WriteLine($"with coap_dtls: {perSlotDtls} bytes per slot (model {AceResourceServer.StateBytesPerSlot(dtls)})");
        Assert.Equal(perSlot + 10 + AceRsSettings.DefaultMaxPskLength, perSlotDtls);
        Assert.InRange(perSlotDtls, AceResourceServer.StateBytesPerSlot(dtls) - 16, AceResourceServer.StateBytesPerSlot(dtls) + 16);
        GC.KeepAlive(server);
    }

    [Fact]
    public void Without_a_rekeyable_provider_each_context_keeps_keyed_ciphers_and_everything_still_works()
    {
        // A provider that is not IRekeyableAeadProvider (like the desktop's platform AES-CCM) gets keyed ciphers per
        // context; the engine behaves the same.
        var rig = new AceRig(provider: new KeyedOnlyProvider(AceTestSupport.Provider()));
        var c = new AceTestClient(1, new TokenSpec { Id = [1] });
        Assert.Equal(CoapCode.Created, c.Post(rig));
        Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/temp"));
        Assert.Equal(CoapCode.Created, c.Post(rig));
        Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/temp"));
    }

    private static long Build(AceRsSettings settings, out AceResourceServer server)
    {
        var provider = AceTestSupport.Provider();
        var resource = new TestResource(CoapCode.Content, "x");
        long before = GC.GetAllocatedBytesForCurrentThread();
        server = new AceResourceServer(settings, provider);
        long after = GC.GetAllocatedBytesForCurrentThread();
        server.AddProtectedResource("/temp", CoapMethods.Get, resource);
        return after - before;
    }

    private sealed class KeyedOnlyProvider(ICryptoProvider inner) : ICryptoProvider
    {
        public IRandomSource Random => inner.Random;

        public IBlockCipher CreateAes(byte[] key, int offset, int length) => inner.CreateAes(key, offset, length);

        public IMac CreateHmacSha256(byte[] key, int offset, int length) => inner.CreateHmacSha256(key, offset, length);

        public IHash CreateSha256() => inner.CreateSha256();

        public IAeadCipher CreateAesCcm(byte[] key, int offset, int length, int tagSize, int lengthSize) => inner.CreateAesCcm(key, offset, length, tagSize, lengthSize);
    }

    internal static CoapMessage PostMessage(byte[] payload)
    {
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Post, MessageId = 1 };
        m.AddUriPath("/authz-info");
        m.SetPayload(payload, 0, payload.Length);
        return m;
    }
}
