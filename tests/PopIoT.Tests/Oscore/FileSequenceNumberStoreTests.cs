using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using PopIoT.IO;
using PopIoT.Oscore;
using Xunit;

namespace PopIoT.Tests.Oscore;

/// <summary>
/// RFC 8613 §7.2.1 and Appendix B.1.1: the file store fails closed. An unreadable or missing file is an error naming
/// it, a failed write sends nothing and moves nothing, and two users of one context are refused.
/// </summary>
public sealed class FileSequenceNumberStoreTests : TempDirectoryTest
{
    private static readonly byte[] Secret = Convert.FromHexString("0102030405060708090a0b0c0d0e0f10");
    private readonly OscoreProcessor _processor = new();

    private string Ctx => F("ctx.json");

    private string Seq => Ctx + ".seq";

    private static SecurityContext Context(ISequenceNumberStore store, int k = 4) =>
        new(new Crypto.PlatformCryptoProvider(), Secret, null, [], [0x01], null!, new SecurityContextOptions { SequenceNumberStore = store, ReserveStep = k });

    private FileSequenceNumberStore Open(Action<FileStream, byte[]>? write = null) => new(Seq, Ctx + ".lock", null, write);

    // Protects one request; returns its Partial IV, or -1 when nothing was protected.
    private long Send(SecurityContext c)
    {
        var m = new CoapMessage { Code = CoapCode.Get, MessageId = 1 };
        m.AddUriPath("/x");
        OscoreStatus s = _processor.ProtectRequest(m, c, false, new OscoreExchange());
        if (s != OscoreStatus.Ok)
        {
            Assert.Equal(OscoreStatus.SequenceNumberNotReserved, s);
            Assert.False(m.HasOption(CoapOptionNumber.Oscore));
            return -1;
        }

        int at = m.FindOption(CoapOptionNumber.Oscore);
        byte[] b = m.GetOptionBuffer(at);
        int o = m.GetOptionOffset(at);
        long v = 0;
        for (int i = 1; i <= (b[o] & 7); i++)
        {
            v = (v << 8) | b[o + i];
        }

        return v;
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("   \n", "is empty")]
    [InlineData("garbage", "does not hold a sequence number")]
    [InlineData("-5", "does not hold a sequence number")]
    [InlineData("12x", "does not hold a sequence number")]
    [InlineData("99999999999999999999", "does not hold a sequence number")]
    public void An_empty_or_garbage_seq_file_is_an_error_naming_it_never_a_restart_at_0(string content, string problem)
    {
        File.WriteAllText(Seq, content);
        using FileSequenceNumberStore store = Open();
        SequenceNumberStoreException e = Assert.Throws<SequenceNumberStoreException>(() => Context(store));
        Assert.Contains("'" + Seq + "' " + problem, e.Message, StringComparison.Ordinal);
        Assert.Contains("Re-key", e.Message, StringComparison.Ordinal);
        Assert.Equal(content, File.ReadAllText(Seq));
    }

    [Fact]
    public void A_missing_seq_file_for_an_existing_context_is_an_error_naming_it_and_the_way_out()
    {
        using FileSequenceNumberStore store = Open();
        SequenceNumberStoreException e = Assert.Throws<SequenceNumberStoreException>(() => Context(store));
        Assert.Contains("'" + Seq + "' is missing", e.Message, StringComparison.Ordinal);
        Assert.Contains("Appendix B.2", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Seq));
    }

    [Fact]
    public void A_new_context_starts_at_0_explicitly_and_a_start_below_the_stored_value_is_refused()
    {
        using (FileSequenceNumberStore fresh = FileSequenceNumberStore.ForContextFile(Ctx, 0))
        using (SecurityContext c = Context(fresh))
        {
            Assert.Equal(0, Send(c));
        }

        Assert.Equal("4", File.ReadAllText(Seq).Trim());
        SequenceNumberStoreException e = Assert.Throws<SequenceNumberStoreException>(() => FileSequenceNumberStore.ForContextFile(Ctx, 3));
        Assert.Contains("holds 4, above the requested start 3", e.Message, StringComparison.Ordinal);
        Assert.Equal("4", File.ReadAllText(Seq).Trim());
        using FileSequenceNumberStore raised = FileSequenceNumberStore.ForContextFile(Ctx, 100);
        using SecurityContext again = Context(raised);
        Assert.Equal(100, Send(again));
    }

    [Fact]
    public void A_failed_save_sends_nothing_keeps_the_file_and_does_not_advance_the_reservation()
    {
        File.WriteAllText(Seq, "8\n");
        bool fail = true;
        using FileSequenceNumberStore store = Open((_, _) =>
        {
            if (fail)
            {
                throw new IOException("Input/output error (injected)");
            }
        });
        using SecurityContext c = Context(store);
        Assert.Equal(-1, Send(c));
        Assert.Equal(-1, Send(c));
        Assert.Equal("8\n", File.ReadAllText(Seq));
        Assert.Contains("cannot write '" + Seq + "'", store.LastError!.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Dir, "*.tmp"));

        fail = false;
        Assert.Equal(8, Send(c));
        Assert.Null(store.LastError);
    }

    [Fact]
    public void Disk_full_in_the_middle_of_a_write_keeps_the_old_value_and_no_number_is_used_twice_across_restarts()
    {
        File.WriteAllText(Seq, "0\n");
        var used = new HashSet<long>();
        var rng = SeededRandomSource.NewRandom(11);
        for (int restart = 0; restart < 12; restart++)
        {
            bool full = false;
            using FileSequenceNumberStore store = Open((f, bytes) =>
            {
                if (full)
                {
                    // Half the bytes reach the temporary file, then the disk is full.
                    f.Write(bytes, 0, bytes.Length / 2);
                    throw new IOException("No space left on device (injected)");
                }

                f.Write(bytes);
            });
            using SecurityContext c = Context(store, 3);
            for (int i = 0; i < 8; i++)
            {
                full = rng.Next(3) == 0;
                long durableBefore = long.Parse(File.ReadAllText(Seq), System.Globalization.CultureInfo.InvariantCulture);
                long piv = Send(c);
                long durable = long.Parse(File.ReadAllText(Seq), System.Globalization.CultureInfo.InvariantCulture);
                if (piv < 0)
                {
                    Assert.Equal(durableBefore, durable);
                    continue;
                }

                Assert.True(used.Add(piv), "sequence number " + piv + " used twice");
                Assert.True(piv < durable, "sequence number " + piv + " used without a durable reservation above it (" + durable + ")");
            }
        }

        Assert.True(used.Count > 40);
        Assert.Empty(Directory.GetFiles(Dir, "*.tmp"));
    }

    [Fact]
    public void A_second_user_of_the_same_context_is_refused_while_the_first_holds_it()
    {
        File.WriteAllText(Seq, "0\n");
        using (FileSequenceNumberStore first = Open())
        {
            FileLockedException e = Assert.Throws<FileLockedException>(() => Open());
            Assert.Contains("'" + Ctx + ".lock' is locked", e.Message, StringComparison.Ordinal);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Contains("pid " + Environment.ProcessId, e.Message, StringComparison.Ordinal);
            }
        }

        using FileSequenceNumberStore after = Open();
        Assert.True(after.TryLoad(out long v));
        Assert.Equal(0, v);
    }
}
