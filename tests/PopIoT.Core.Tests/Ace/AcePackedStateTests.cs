#nullable disable
using System;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;

using Xunit;

namespace PopIoT.Core.Tests.Ace;

/// <summary>
/// The packed per-slot state (docs/firmware.md "Memory model"): a dropped slot's keys are gone from the shared state
/// array, whether the token expired, was evicted or was replaced, and no slot's bytes leak into another's.
/// </summary>
public class AcePackedStateTests
{
    // A table slot with a shared cipher: the fixed part and both raw keys.
    private const int SlotBytes = SecurityContextSlots.TailAt + (2 * SecurityContextSlots.KeyRoom);

    [Fact]
    public void An_expired_token_leaves_its_slot_all_zero_keys_iv_and_ids()
    {
        var rig = new AceRig();
        var c = new AceTestClient(1, new TokenSpec { Exp = AceTestSupport.Start + 600 });
        Assert.Equal(CoapCode.Created, c.Post(rig));
        SecurityContext rs = ServerContext(rig, c);
        byte[] keys = Keys(rs);
        Assert.False(IsZero(keys, 0, keys.Length));

        rig.Server.Tick(AceTestSupport.Start + 601);
        Assert.Equal(0, rig.Server.ActiveSlots);
        Assert.True(rs.IsDisposed);
        Assert.True(IsZero(rs.Material, Base(rs), SlotBytes));
        Assert.False(Contains(rs.Material, keys, 0) || Contains(rs.Material, keys, 16));

        // The attacker replays a request made under the erased keys: no context answers to it.
        Assert.Equal(CoapCode.Unauthorized, c.Request(rig, CoapCode.Get, "/temp"));
        Assert.Equal(AceRsError.SecurityContextNotFound, rig.Server.LastDecision.Error);
    }

    [Fact]
    public void An_evicted_slot_keeps_none_of_the_old_keys_and_the_old_client_is_refused()
    {
        var settings = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { Slots = 1, EvictionProtectionSeconds = 0 };
        var rig = new AceRig(settings);
        var a = new AceTestClient(1, new TokenSpec { Id = [1] });
        Assert.Equal(CoapCode.Created, a.Post(rig));
        SecurityContext slot = ServerContext(rig, a);
        byte[] oldKeys = Keys(slot);
        byte[] captured = a.Protect(CoapCode.Get, "/temp", null, 2);

        var b = new AceTestClient(2, new TokenSpec { Id = [2], MasterSecret = Convert.FromHexString("00112233445566778899aabbccddeeff") });
        Assert.Equal(CoapCode.Created, b.Post(rig));
        Assert.Equal(1, rig.Server.Evictions);
        Assert.Same(slot, ServerContext(rig, b));

        // The slot was erased before it was derived again: the old Sender and Recipient Keys are nowhere in the array.
        Assert.False(Contains(slot.Material, oldKeys, 0));
        Assert.False(Contains(slot.Material, oldKeys, 16));
        Assert.Equal(CoapCode.Unauthorized, a.Receive(rig.Exchange(1, captured)));
        Assert.Equal(AceRsError.SecurityContextNotFound, rig.Server.LastDecision.Error);
    }

    [Fact]
    public void A_replaced_token_for_the_same_pop_key_leaves_none_of_its_keys()
    {
        var rig = new AceRig();
        var spec = new TokenSpec { Cti = [1] };
        var c = new AceTestClient(1, spec);
        Assert.Equal(CoapCode.Created, c.Post(rig));
        SecurityContext slot = ServerContext(rig, c);
        byte[] oldKeys = Keys(slot);

        spec.Cti = [2];
        c.Token = AceTestSupport.Mint(spec);
        Assert.Equal(CoapCode.Created, c.Post(rig));
        Assert.Same(slot, ServerContext(rig, c));

        // New nonces, new keys: the previous ones are gone.
        Assert.False(Contains(slot.Material, oldKeys, 0));
        Assert.False(Contains(slot.Material, oldKeys, 16));
    }

    [Fact]
    public void Disposing_the_engine_zeroes_every_slot()
    {
        var rig = new AceRig();
        var contexts = new SecurityContext[3];
        for (int i = 0; i < contexts.Length; i++)
        {
            var c = new AceTestClient(i + 1, new TokenSpec { Id = [(byte)(i + 1)] });
            Assert.Equal(CoapCode.Created, c.Post(rig));
            contexts[i] = ServerContext(rig, c);
        }

        byte[] all = contexts[0].Material;
        Assert.False(IsZero(all, 0, all.Length));
        rig.Server.Dispose();
        Assert.True(IsZero(all, 0, all.Length));
        Assert.All(contexts, c => Assert.True(c.IsDisposed));
    }

    [Fact]
    public void An_echo_challenge_on_a_table_slot_is_refused_and_reads_nothing_of_the_next_slot()
    {
        // A table slot has no Echo room: the bytes after it are the next slot's Sender Key. Asking for an Echo challenge
        // on it (a host's mistake: its window is always known) must not copy them into a response.
        var rig = new AceRig();
        var a = new AceTestClient(1, new TokenSpec { Id = [1] });
        var b = new AceTestClient(2, new TokenSpec { Id = [2] });
        Assert.Equal(CoapCode.Created, a.Post(rig));
        Assert.Equal(CoapCode.Created, b.Post(rig));
        SecurityContext first = ServerContext(rig, a);
        var exchange = new OscoreExchange();
        exchange.CopyFrom(rig.Security.Exchange);
        Assert.False(first.FreshnessRequired);

        var response = new CoapMessage { Type = CoapMessageType.Acknowledgement, Code = CoapCode.Content, MessageId = 9 };
        response.SetPayload([1, 2, 3], 0, 3);
        Assert.Equal(OscoreStatus.Unsupported, new OscoreProcessor().ProtectEchoChallenge(response, exchange));
        Assert.False(response.HasOption(CoapOptionNumber.Echo));
        Assert.Equal(CoapCode.Content, response.Code);
    }

    [Fact]
    public void Neighbouring_slots_windows_are_independent_and_follow_the_replay_window_rules()
    {
        // Each slot's window is a stride of one shared bitmap array: a number accepted in one slot must be neither
        // refused nor accepted twice in another, so every slot is checked against a window of its own.
        var slots = new SecurityContextSlots(3, AceTestSupport.Provider(), null, 64);
        var models = new[] { new ReplayWindow(64), new ReplayWindow(64), new ReplayWindow(64) };
        var rng = PopIoT.Testing.SeededRandomSource.NewRandom(8613);
        for (int step = 0; step < 20_000; step++)
        {
            int s = rng.Next(3);
            long n = rng.Next(6) == 0 ? rng.Next(1 << 20) : models[s].Highest + rng.Next(-70, 70);
            Assert.Equal(models[s].IsFresh(n), slots.IsFresh(s, n));
            if (rng.Next(4) != 0)
            {
                Assert.Equal(models[s].Update(n), slots.UpdateWindow(s, n));
            }

            if (rng.Next(500) == 0)
            {
                models[s].Reset();
                slots.ResetWindow(s);
            }

            Assert.Equal(models[s].Highest, slots.WindowView(s).Highest);
        }
    }

    [Fact]
    public void The_use_order_in_one_byte_per_slot_evicts_the_slot_a_use_counter_would()
    {
        // The table keeps its LRU order as ranks (a permutation of 0..Capacity-1), not a counter per slot. Checked
        // against the counter it replaces, whenever every slot holds a token (the only time eviction is asked).
        using var table = new AceTokenTable(7, 4, AceTestSupport.Provider(), 32, 0);
        var stamps = new long[7];
        long clock = 0;
        var rng = PopIoT.Testing.SeededRandomSource.NewRandom(6);
        for (int step = 0; step < 5_000; step++)
        {
            int slot = rng.Next(7);
            if (rng.Next(8) == 0)
            {
                table.Drop(slot);
                stamps[slot] = 0;
            }
            else
            {
                table.Touch(slot);
                stamps[slot] = ++clock;
            }

            if (Array.TrueForAll(stamps, t => t > 0))
            {
                Assert.Equal(Array.IndexOf(stamps, Min(stamps)), table.Evictable(0, 0));
            }
        }
    }

    private static long Min(long[] a)
    {
        long m = long.MaxValue;
        foreach (long v in a)
        {
            m = Math.Min(m, v);
        }

        return m;
    }

    // The server's context of the client's last request (the binding the engine attached).
    private static SecurityContext ServerContext(AceRig rig, AceTestClient c)
    {
        Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/temp"));
        return rig.Security.Exchange.Context;
    }

    private static int Base(SecurityContext c) => c.RecipientIdOffset - SecurityContextSlots.RecipientIdAt;

    // The slot's Sender Key and Recipient Key (16 bytes each for AES-CCM-16-64-128).
    private static byte[] Keys(SecurityContext c)
    {
        var k = new byte[32];
        Array.Copy(c.Material, Base(c) + SecurityContextSlots.SenderKeyAt, k, 0, 16);
        Array.Copy(c.Material, Base(c) + SecurityContextSlots.RecipientKeyAt, k, 16, 16);
        return k;
    }

    private static bool IsZero(byte[] b, int offset, int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (b[offset + i] != 0)
            {
                return false;
            }
        }

        return true;
    }

    // Whether the 16 bytes of key at keyOffset appear anywhere in the array.
    private static bool Contains(byte[] haystack, byte[] key, int keyOffset)
    {
        for (int i = 0; i + 16 <= haystack.Length; i++)
        {
            if (haystack.AsSpan(i, 16).SequenceEqual(key.AsSpan(keyOffset, 16)))
            {
                return true;
            }
        }

        return false;
    }
}
