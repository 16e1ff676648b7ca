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

    [Fact]
    public void A_flood_of_ten_thousand_captured_tokens_from_a_hundred_peers_leaves_eight_active_clients_working()
    {
        // Default settings: 8 slots, 60 s protection, per-peer and overall rate limits. Eight clients GET every 10 s
        // (below the protection time); 100 attacker peers post 10,000 valid tokens captured from other clients, ten a
        // second for 1,000 s of engine time.
        var rig = new AceRig();
        var clients = new AceTestClient[8];
        for (int i = 0; i < clients.Length; i++)
        {
            clients[i] = new AceTestClient(i + 1, new TokenSpec { Id = [(byte)(0x10 + i)], Exp = AceTestSupport.Start + 7200 });
            Assert.Equal(CoapCode.Created, clients[i].Post(rig));
            Assert.Equal(CoapCode.Content, clients[i].Request(rig, CoapCode.Get, "/temp"));
        }

        const int Attackers = 100;
        var posts = new byte[Attackers][];
        for (int a = 0; a < Attackers; a++)
        {
            byte[] token = AceTestSupport.Mint(new TokenSpec { Id = [0x7E, (byte)a], Exp = AceTestSupport.Start + 7200 });
            posts[a] = AceTestSupport.Serialize(AceMemoryTests.PostMessage(AuthzInfoRequest.Encode(token, [1, 2, 3, 4, 5, 6, 7, (byte)a], [0x66])));
        }

        int created = 0, tooMany = 0, overloaded = 0, tableFull = 0, other = 0;
        int gets = 0, served = 0, unauthorized = 0;
        for (int n = 0; n < 10_000; n++)
        {
            if (n % 10 == 0)
            {
                long t = n / 10;
                rig.Server.Tick(AceTestSupport.Start + 1 + t);
                if (t % 10 < clients.Length)
                {
                    byte code = clients[t % 10].Request(rig, CoapCode.Get, "/temp");
                    gets++;
                    served += code == CoapCode.Content ? 1 : 0;
                    unauthorized += code == CoapCode.Unauthorized ? 1 : 0;
                }
            }

            byte r = rig.ExchangeCode(1000 + (n % Attackers), posts[n % Attackers]);
            AceRsError why = rig.Server.LastDecision.Error;
            if (r == CoapCode.Created)
            {
                created++;
            }
            else if (r == CoapCode.TooManyRequests && why == AceRsError.PeerRateLimited)
            {
                tooMany++;
            }
            else if (r == CoapCode.ServiceUnavailable && why == AceRsError.AuthzInfoOverloaded)
            {
                overloaded++;
            }
            else if (r == CoapCode.ServiceUnavailable && why == AceRsError.TableFull)
            {
                tableFull++;
            }
            else
            {
                other++;
            }
        }

        _output.WriteLine($"attack: {created} stored, {tooMany} 4.29, {overloaded} 5.03 overloaded, {tableFull} 5.03 table full, {other} other; clients: {gets} GETs, {served} served, {unauthorized} 4.01");
        Assert.Equal(0, unauthorized);
        Assert.Equal(gets, served);
        Assert.Equal(0, rig.Server.Evictions);
        Assert.Equal(0, created);
        Assert.Equal(0, other);

        // The limits kept validation work to the overall burst plus one post a second.
        Assert.InRange(tableFull, 1, 16 + 1000);
        Assert.Equal(10_000, tooMany + overloaded + tableFull);
    }

    [Fact]
    public void A_peer_posting_faster_than_its_limit_gets_4_29_with_max_age_and_is_admitted_again_after_it()
    {
        var rig = new AceRig(log: true);
        var c = new AceTestClient(7, new TokenSpec { Id = [7] });

        // The per-peer burst (4): the same token posted again is idempotent, but every post is counted.
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(CoapCode.Created, c.Post(rig));
        }

        Assert.Equal(CoapCode.TooManyRequests, c.Post(rig));
        Assert.Equal(AceRsError.PeerRateLimited, AceRig.Reason(c.LastResponse));
        Assert.Equal(AceRsError.PeerRateLimited, rig.Server.LastDecision.Error);
        Assert.Equal(AceDecisionKind.TokenRejected, rig.Server.LastDecision.Kind);
        Assert.True(c.LastResponse.TryGetUint(CoapOptionNumber.MaxAge, out uint maxAge));
        Assert.Equal(10u, maxAge);

        // Other peers are not affected.
        var other = new AceTestClient(8, new TokenSpec { Id = [8] });
        Assert.Equal(CoapCode.Created, other.Post(rig));

        // One second short of Max-Age it is still refused, with the rest of the wait; at Max-Age it is admitted.
        rig.Server.Tick(AceTestSupport.Start + maxAge - 1);
        Assert.Equal(CoapCode.TooManyRequests, c.Post(rig));
        Assert.True(c.LastResponse.TryGetUint(CoapOptionNumber.MaxAge, out uint rest));
        Assert.Equal(1u, rest);
        rig.Server.Tick(AceTestSupport.Start + maxAge);
        Assert.Equal(CoapCode.Created, c.Post(rig));
        Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/temp"));
    }

    [Fact]
    public void Posts_from_all_peers_beyond_the_overall_limit_get_5_03_with_max_age_and_the_endpoint_recovers()
    {
        var settings = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { AuthzInfoBurst = 6, AuthzInfoRefillSeconds = 2 };
        var rig = new AceRig(settings);
        var forged = (byte[])AceTestSupport.Mint(new TokenSpec()).Clone();
        forged[^1] ^= 1;
        byte[] post = AceTestSupport.Serialize(AceMemoryTests.PostMessage(AuthzInfoRequest.Encode(forged, [1, 2, 3, 4, 5, 6, 7, 8], [0x41])));

        // Six different peers use up the overall burst (each refused on its merits: a forged token is still work).
        for (int p = 0; p < 6; p++)
        {
            Assert.Equal(CoapCode.Unauthorized, rig.ExchangeCode(p, post));
        }

        var c = new AceTestClient(50, new TokenSpec { Id = [50] });
        Assert.Equal(CoapCode.ServiceUnavailable, c.Post(rig));
        Assert.Equal(AceRsError.AuthzInfoOverloaded, AceRig.Reason(c.LastResponse));
        Assert.True(c.LastResponse.TryGetUint(CoapOptionNumber.MaxAge, out uint maxAge));
        Assert.Equal(2u, maxAge);

        // The refusal did not use the peer's own budget: after Max-Age the same peer is admitted at once.
        rig.Server.Tick(AceTestSupport.Start + maxAge);
        Assert.Equal(CoapCode.Created, c.Post(rig));
        Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/temp"));
        Assert.Equal(CoapCode.ServiceUnavailable, rig.ExchangeCode(7, post));
    }

    [Fact]
    public void Many_peers_filling_the_bucket_table_do_not_lock_out_a_new_honest_peer()
    {
        // 4 buckets; the overall limit is generous so only the per-peer table is under test first.
        var settings = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { AuthzInfoPeerBuckets = 4, AuthzInfoBurst = 1000 };
        var rig = new AceRig(settings);
        byte[] junk = AceTestSupport.Serialize(AceMemoryTests.PostMessage([0xa1, 0x01]));

        // 200 attacker peers each post until refused: every bucket in the table is empty, again and again.
        int refused = 0;
        for (int p = 1000; p < 1200; p++)
        {
            for (int i = 0; i < 5; i++)
            {
                refused += rig.ExchangeCode(p, junk) == CoapCode.TooManyRequests ? 1 : 0;
            }
        }

        Assert.Equal(200, refused);

        // A new honest peer takes a bucket (the table forgets an attacker's) and gets its full burst.
        var honest = new AceTestClient(1, new TokenSpec { Id = [1] });
        Assert.Equal(CoapCode.Created, honest.Post(rig));
        Assert.Equal(CoapCode.Content, honest.Request(rig, CoapCode.Get, "/temp"));

        // With the overall limit at its default, a flood from fresh peers can hold the endpoint only until Max-Age:
        // the honest peer that waits it out is admitted.
        var rig2 = new AceRig(new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { AuthzInfoPeerBuckets = 4 });
        for (int p = 1000; p < 1100; p++)
        {
            rig2.ExchangeCode(p, junk);
        }

        var late = new AceTestClient(2, new TokenSpec { Id = [2] });
        Assert.Equal(CoapCode.ServiceUnavailable, late.Post(rig2));
        Assert.True(late.LastResponse.TryGetUint(CoapOptionNumber.MaxAge, out uint wait));
        rig2.Server.Tick(AceTestSupport.Start + wait);
        Assert.Equal(CoapCode.Created, late.Post(rig2));
        Assert.Equal(CoapCode.Content, late.Request(rig2, CoapCode.Get, "/temp"));
    }

    [Fact]
    public void A_full_table_of_protected_slots_refuses_a_new_token_with_5_03_and_max_age_and_takes_it_after_the_protection_time()
    {
        var settings = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { Slots = 2 };
        var rig = new AceRig(settings, log: true);
        var a = new AceTestClient(1, new TokenSpec { Id = [1] });
        var b = new AceTestClient(2, new TokenSpec { Id = [2] });
        Assert.Equal(CoapCode.Created, a.Post(rig));
        Assert.Equal(CoapCode.Created, b.Post(rig));
        Assert.Equal(CoapCode.Content, a.Request(rig, CoapCode.Get, "/temp"));
        rig.Server.Tick(AceTestSupport.Start + 10);
        Assert.Equal(CoapCode.Content, b.Request(rig, CoapCode.Get, "/temp"));

        // 20 s in: a verified a request 20 s ago, b 10 s ago; both are protected for 60 s.
        rig.Server.Tick(AceTestSupport.Start + 20);
        var newcomer = new AceTestClient(3, new TokenSpec { Id = [3] });
        Assert.Equal(CoapCode.ServiceUnavailable, newcomer.Post(rig));
        Assert.Equal(AceRsError.TableFull, AceRig.Reason(newcomer.LastResponse));
        Assert.True(AceErrorResponse.TryParse(newcomer.LastResponse.PayloadBuffer, newcomer.LastResponse.PayloadOffset, newcomer.LastResponse.PayloadLength, out int aceError, out _));
        Assert.Equal(0, aceError);
        Assert.True(newcomer.LastResponse.TryGetUint(CoapOptionNumber.MaxAge, out uint maxAge));
        Assert.Equal(40u, maxAge);
        Assert.Equal(AceDecisionKind.TokenRejected, rig.Server.LastDecision.Kind);
        Assert.Equal(0, rig.Server.Evictions);

        // A token for a PoP key already held replaces its own slot: not an eviction, so protection does not apply.
        Assert.Equal(CoapCode.Created, a.Post(rig));
        Assert.Equal(CoapCode.Content, a.Request(rig, CoapCode.Get, "/temp"));
        Assert.Equal(CoapCode.Content, b.Request(rig, CoapCode.Get, "/temp"));
        Assert.Equal(0, rig.Server.Evictions);

        // Both stay in use until 20 s; then idle. Once a's protection has passed, the newcomer takes a's slot.
        rig.Server.Tick(AceTestSupport.Start + 20 + 59);
        Assert.Equal(CoapCode.ServiceUnavailable, newcomer.Post(rig));
        Assert.True(newcomer.LastResponse.TryGetUint(CoapOptionNumber.MaxAge, out uint rest));
        Assert.Equal(1u, rest);
        rig.Server.Tick(AceTestSupport.Start + 20 + 60);
        Assert.Equal(CoapCode.Created, newcomer.Post(rig));
        Assert.Equal(1, rig.Server.Evictions);
        Assert.Equal(CoapCode.Content, newcomer.Request(rig, CoapCode.Get, "/temp"));
    }

    [Fact]
    public void A_slot_whose_token_was_never_used_goes_before_an_idle_client_that_used_its_context()
    {
        var settings = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { Slots = 2 };
        var rig = new AceRig(settings);
        var idle = new AceTestClient(1, new TokenSpec { Id = [1] });
        Assert.Equal(CoapCode.Created, idle.Post(rig));
        Assert.Equal(CoapCode.Content, idle.Request(rig, CoapCode.Get, "/temp"));

        // Long after the idle client's protection ran out, posted tokens nobody uses take turns in the other slot.
        rig.Server.Tick(AceTestSupport.Start + 600);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(CoapCode.Created, new AceTestClient(10 + i, new TokenSpec { Id = [(byte)(10 + i)] }).Post(rig));
        }

        Assert.Equal(2, rig.Server.Evictions);
        Assert.Equal(CoapCode.Content, idle.Request(rig, CoapCode.Get, "/temp"));
    }

    [Fact]
    public void Refusals_for_rate_limits_and_a_full_table_allocate_nothing()
    {
        var settings = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { Slots = 1, AuthzInfoBurst = 5, AuthzInfoRefillSeconds = 3600 };
        var rig = new AceRig(settings);
        var holder = new AceTestClient(1, new TokenSpec { Id = [1] });
        Assert.Equal(CoapCode.Created, holder.Post(rig));
        Assert.Equal(CoapCode.Content, holder.Request(rig, CoapCode.Get, "/temp"));
        byte[] fresh = AceTestSupport.Serialize(AceMemoryTests.PostMessage(AuthzInfoRequest.Encode(AceTestSupport.Mint(new TokenSpec { Id = [2] }), [1, 2, 3, 4, 5, 6, 7, 8], [0x42])));

        // Peer 2: four times table full (5.03), which also uses up the overall burst (5, the holder's post included),
        // then its own limit (4.29); peer 3: the overall limit (5.03).
        void Run()
        {
            if (rig.ExchangeCode(2, fresh) != CoapCode.TooManyRequests || rig.ExchangeCode(3, fresh) != CoapCode.ServiceUnavailable)
            {
                throw new InvalidOperationException("unexpected code: " + rig.Server.LastDecision);
            }
        }

        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(CoapCode.ServiceUnavailable, rig.ExchangeCode(2, fresh));
            Assert.Equal(AceRsError.TableFull, rig.Server.LastDecision.Error);
        }

        for (int i = 0; i < 150; i++)
        {
            Run();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            Run();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        // The table-full refusal, measured alone on a fresh engine with the limits off.
        var quiet = new AceRig(new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { Slots = 1, AuthzInfoPeerBurst = 0, AuthzInfoBurst = 0 });
        Assert.Equal(CoapCode.Created, holder.Post(quiet));
        Assert.Equal(CoapCode.Content, holder.Request(quiet, CoapCode.Get, "/temp"));
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(CoapCode.ServiceUnavailable, quiet.ExchangeCode(2, fresh));
        }

        before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++)
        {
            if (quiet.ExchangeCode(2, fresh) != CoapCode.ServiceUnavailable)
            {
                throw new InvalidOperationException("unexpected code: " + quiet.Server.LastDecision);
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(AceRsError.TableFull, quiet.Server.LastDecision.Error);
    }

    [Fact]
    public void An_access_rights_update_over_the_clients_own_context_is_not_rate_limited()
    {
        var rig = new AceRig(new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { AuthzInfoPeerBurst = 1, AuthzInfoBurst = 1, AuthzInfoRefillSeconds = 3600, AuthzInfoPeerRefillSeconds = 3600 });
        var c = new AceTestClient(1, new TokenSpec { Id = [1], Scope = "read" });
        Assert.Equal(CoapCode.Created, c.Post(rig));
        Assert.Equal(CoapCode.TooManyRequests, rig.PostAuthzInfo(1, [0xa0]).Code);

        // RFC 9203 §4.1: the update (no nonces) over OSCORE already proved possession of the key.
        byte[] update = AceTestSupport.Mint(new TokenSpec { Id = [1], Scope = "read write" });
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(CoapCode.Created, c.Receive(rig.Exchange(1, c.ProtectBytes(CoapCode.Post, "/authz-info", AuthzInfoRequest.Encode(update, null, null), 10 + i))));
        }

        Assert.Equal(AceDecisionKind.TokenDuplicate, rig.Server.LastDecision.Kind);
        Assert.Equal(CoapCode.Changed, c.Request(rig, CoapCode.Put, "/led", "on"));
    }

    [Fact]
    public void Admission_settings_are_checked_and_copied()
    {
        foreach (Action<AceRsSettings> bad in new Action<AceRsSettings>[]
        {
            s => s.EvictionProtectionSeconds = -1,
            s => s.EvictionProtectionSeconds = 86401,
            s => s.AuthzInfoPeerBurst = -1,
            s => s.AuthzInfoPeerRefillSeconds = 0,
            s => s.AuthzInfoPeerBuckets = 0,
            s => s.AuthzInfoPeerBuckets = 256,
            s => s.AuthzInfoBurst = 65536,
            s => s.AuthzInfoRefillSeconds = 0,
        })
        {
            var s = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri);
            bad(s);
            Assert.Throws<ArgumentException>(() => s.Validate());
        }

        // The engine keeps its own copy: changing the settings object afterwards does not loosen the limit.
        var settings = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { AuthzInfoPeerBurst = 1 };
        var rig = new AceRig(settings);
        settings.AuthzInfoPeerBurst = 0;
        Assert.Equal(CoapCode.BadRequest, rig.PostAuthzInfo(1, [0xa0]).Code);
        Assert.Equal(CoapCode.TooManyRequests, rig.PostAuthzInfo(1, [0xa0]).Code);
    }
}
