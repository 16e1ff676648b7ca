using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PopIoT.Core.Coap;
using Xunit;

namespace PopIoT.Tests.Cli;

/// <summary>
/// <c>popiot coap ... --oscore CTX.json</c> and its Sender Sequence Number file (RFC 8613 §7.2.1, Appendix B.1.1): a
/// missing, empty or unreadable CTX.json.seq stops the command before anything is sent, <c>--seq N</c> starts a context
/// explicitly, and a second process on the same context is refused while the first holds it.
/// </summary>
public sealed class CoapOscoreSeqCommandTests : TempDirectoryTest
{
    private readonly UdpClient _silent = new(new IPEndPoint(IPAddress.Loopback, 0));

    protected override void Dispose(bool disposing)
    {
        _silent.Dispose();
        base.Dispose(disposing);
    }

    private string Uri => "coap://127.0.0.1:" + ((IPEndPoint)_silent.Client.LocalEndPoint!).Port.ToString(CultureInfo.InvariantCulture) + "/x";

    private string Ctx()
    {
        string path = F("ctx.json");
        File.WriteAllText(path, "{\"sender_id\":\"\",\"recipient_id\":\"01\",\"master_secret\":\"0102030405060708090a0b0c0d0e0f10\",\"master_salt\":\"9e7ca92223786340\"}");
        return path;
    }

    // The (Message ID, Partial IV) of every OSCORE request that reached the silent peer so far.
    private List<(int Mid, long Piv)> Received()
    {
        var seen = new List<(int, long)>();
        while (_silent.Available > 0)
        {
            IPEndPoint? from = null;
            byte[] d = _silent.Receive(ref from);
            var m = new CoapMessage();
            Assert.Equal(CoapParseError.None, m.Parse(d, 0, d.Length));
            int at = m.FindOption(CoapOptionNumber.Oscore);
            Assert.True(at >= 0, "a request went out without OSCORE");
            byte[] b = m.GetOptionBuffer(at);
            int o = m.GetOptionOffset(at);
            long v = 0;
            for (int i = 1; i <= (b[o] & 7); i++)
            {
                v = (v << 8) | b[o + i];
            }

            seen.Add((m.MessageId, v));
        }

        return seen;
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("garbage\n", "does not hold a sequence number")]
    public void An_empty_or_garbage_seq_file_exits_2_naming_it_and_sends_nothing(string content, string problem)
    {
        string ctx = Ctx();
        File.WriteAllText(ctx + ".seq", content);
        CliRunner.Result r = CliRunner.Run("coap", "get", Uri, "--oscore", ctx, "-B", "2");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("'" + ctx + ".seq' " + problem, r.Error, StringComparison.Ordinal);
        Assert.Contains("--seq N", r.Error, StringComparison.Ordinal);
        Assert.Empty(Received());
        Assert.Equal(content, File.ReadAllText(ctx + ".seq"));
    }

    [Fact]
    public void A_missing_seq_file_exits_2_naming_it_and_seq_0_starts_a_new_context()
    {
        string ctx = Ctx();
        CliRunner.Result missing = CliRunner.Run("coap", "get", Uri, "--oscore", ctx, "-B", "2");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("'" + ctx + ".seq' is missing", missing.Error, StringComparison.Ordinal);
        Assert.Contains("re-key", missing.Error, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(ctx + ".seq"));

        // The peer never answers; the request goes out (with retransmissions) under Partial IV 0.
        CliRunner.Result started = CliRunner.Run("coap", "get", Uri, "--oscore", ctx, "--seq", "0", "-B", "1");
        Assert.NotEqual(2, started.ExitCode);
        Assert.Equal("64", File.ReadAllText(ctx + ".seq").Trim());
        List<(int Mid, long Piv)> first = Received();
        Assert.NotEmpty(first);
        Assert.All(first, x => Assert.Equal(0, x.Piv));

        // Going back below the stored value is refused; without --seq the next run continues above it.
        CliRunner.Result back = CliRunner.Run("coap", "get", Uri, "--oscore", ctx, "--seq", "0", "-B", "1");
        Assert.Equal(2, back.ExitCode);
        Assert.Contains("holds 64, above the requested start 0", back.Error, StringComparison.Ordinal);
        CliRunner.Run("coap", "get", Uri, "--oscore", ctx, "-B", "1");
        List<(int Mid, long Piv)> next = Received();
        Assert.NotEmpty(next);
        Assert.All(next, x => Assert.Equal(64, x.Piv));
        Assert.Equal("128", File.ReadAllText(ctx + ".seq").Trim());
    }

    [Fact]
    public void Two_processes_on_one_context_never_share_a_sequence_number_the_second_is_refused_naming_the_holder()
    {
        string ctx = Ctx();
        File.WriteAllText(ctx + ".seq", "0\n");
        var used = new Dictionary<int, long>();

        // The first process waits up to 30 s for an answer that never comes, holding the context.
        using (Process first = Start("coap", "get", Uri, "--oscore", ctx, "-B", "30"))
        {
            var wait = Stopwatch.StartNew();
            while (File.ReadAllText(ctx + ".seq").Trim() != "64" && wait.Elapsed < TimeSpan.FromSeconds(60) && !first.HasExited)
            {
                Thread.Sleep(50);
            }

            Assert.Equal("64", File.ReadAllText(ctx + ".seq").Trim());
            using Process second = Start("coap", "get", Uri, "--oscore", ctx, "-B", "5");
            string err = second.StandardError.ReadToEnd();
            Assert.True(second.WaitForExit(60_000));
            Assert.Equal(2, second.ExitCode);
            Assert.Contains("'" + ctx + ".lock' is locked by pid " + first.Id.ToString(CultureInfo.InvariantCulture), err, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
            first.Kill(entireProcessTree: true);
            Assert.True(first.WaitForExit(10_000));
        }

        // A restart after a hard kill continues above every number the first process used.
        using (Process third = Start("coap", "get", Uri, "--oscore", ctx, "-B", "1"))
        {
            Assert.True(third.WaitForExit(60_000));
        }

        foreach ((int mid, long piv) in Received())
        {
            if (used.TryGetValue(mid, out long earlier))
            {
                Assert.Equal(earlier, piv); // a retransmission of the same request
            }
            else
            {
                Assert.DoesNotContain(piv, used.Values);
                used[mid] = piv;
            }
        }

        Assert.Equal([0L, 64L], used.Values.Order().ToArray());
    }

    private static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "PopIoT.Cli.dll"));
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        Process p = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
        p.OutputDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        return p;
    }
}
