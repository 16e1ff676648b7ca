#nullable disable
using System;
using System.IO;

using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;

using Xunit;

using static PopIoT.Core.Tests.Oscore.OscoreTestSupport;

namespace PopIoT.Core.Tests.Oscore;

/// <summary>
/// RFC 8613 §7.2.1 and Appendix B.1.1: a Sender Sequence Number is used only after a store write that covers it
/// succeeded; a failed write sends nothing and leaves the reservation where it was (fail closed).
/// </summary>
public class SequenceNumberReservationTests
{
    private readonly OscoreProcessor _client = new();

    private static CoapMessage Get()
    {
        var m = new CoapMessage { Code = CoapCode.Get, MessageId = 0x1234 };
        m.SetToken([0xAA], 0, 1);
        m.AddUriPath("/x");
        return m;
    }

    private static long PartialIv(CoapMessage protectedRequest)
    {
        int at = protectedRequest.FindOption(CoapOptionNumber.Oscore);
        byte[] b = protectedRequest.GetOptionBuffer(at);
        int o = protectedRequest.GetOptionOffset(at);
        int n = b[o] & 0x07;
        long v = 0;
        for (int i = 1; i <= n; i++)
        {
            v = (v << 8) | b[o + i];
        }

        return v;
    }

    private sealed class FlakyStore : ISequenceNumberStore
    {
        public long Durable;
        public bool Fail;
        public int Attempts;

        public bool TryLoad(out long value)
        {
            value = Durable;
            return true;
        }

        public void Save(long value)
        {
            Attempts++;
            if (Fail)
            {
                throw new IOException("No space left on device (injected)");
            }

            Durable = value;
        }
    }

    private static SecurityContext Client(FlakyStore store, int k) =>
        new(Managed(), MasterSecret, MasterSalt, [], [0x01], null, new SecurityContextOptions { SequenceNumberStore = store, ReserveStep = k });

    [Fact]
    public void A_failed_reservation_write_sends_nothing_and_does_not_advance_the_reservation()
    {
        var store = new FlakyStore { Durable = 8 };
        var client = Client(store, 4);

        store.Fail = true;
        var m = Get();
        Assert.Equal(OscoreStatus.SequenceNumberNotReserved, _client.ProtectRequest(m, client, false, new OscoreExchange()));
        Assert.False(m.HasOption(CoapOptionNumber.Oscore));
        Assert.Equal(8, client.SenderSequenceNumber);
        Assert.True(client.ReservationFailed);

        // Still failing: every attempt tries the write again; none goes out.
        Assert.Equal(OscoreStatus.SequenceNumberNotReserved, _client.ProtectRequest(Get(), client, false, new OscoreExchange()));
        Assert.Equal(2, store.Attempts);

        // The store heals: the next number used is covered by a durable write made before it.
        store.Fail = false;
        var ok = Get();
        Assert.Equal(OscoreStatus.Ok, _client.ProtectRequest(ok, client, false, new OscoreExchange()));
        Assert.Equal(8, PartialIv(ok));
        Assert.Equal(12, store.Durable);
        Assert.False(client.ReservationFailed);
    }

    [Fact]
    public void No_sequence_number_is_used_twice_across_restarts_when_writes_fail_in_between()
    {
        var store = new FlakyStore();
        var used = new System.Collections.Generic.HashSet<long>();
        var rng = SeededRandomSource.NewRandom(7);
        for (int run = 0; run < 20; run++)
        {
            // A "restart": a fresh context from what the store durably holds.
            var client = Client(store, 3);
            for (int i = 0; i < 10; i++)
            {
                store.Fail = rng.Next(4) == 0;
                var m = Get();
                OscoreStatus s = _client.ProtectRequest(m, client, false, new OscoreExchange());
                if (s == OscoreStatus.Ok)
                {
                    long piv = PartialIv(m);
                    Assert.True(used.Add(piv), "sequence number " + piv + " used twice");
                    Assert.True(piv < store.Durable, "sequence number " + piv + " used before a durable reservation above it");
                }
                else
                {
                    Assert.Equal(OscoreStatus.SequenceNumberNotReserved, s);
                    Assert.False(m.HasOption(CoapOptionNumber.Oscore));
                }
            }
        }

        Assert.True(used.Count > 50);
    }
}
