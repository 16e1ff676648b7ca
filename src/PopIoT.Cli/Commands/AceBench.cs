using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using PopIoT.Ace;
using PopIoT.Cli.Ace;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;
using PopIoT.Crypto;

namespace PopIoT.Cli.Commands;

/// <summary>
/// <c>popiot bench ace</c> end-to-end latency on loopback through the whole system, against the
/// baseline of a plain CoAP GET to the same device in the same run (DESIGN.md §8: always a ratio).
/// <list type="bullet">
/// <item>first request: a new gateway each time, so hints, token request to the AS (SQLite write included), /authz-info
/// and the protected GET;</item>
/// <item>later requests: one gateway with its context in place, a protected GET each.</item>
/// <item>rs-state: the device engine's bytes per client slot with the managed provider (a board's crypto path),
/// measured as what a 16-slot engine allocates beyond an 8-slot one, against DESIGN.md §8's 4 KiB for 8 clients.</item>
/// </list>
/// </summary>
internal static class AceBench
{
    public static Command Create(CliContext io)
    {
        var first = new Option<int>("--first") { Description = "First requests to measure, each with a new gateway (default 50).", DefaultValueFactory = _ => 50 };
        var later = new Option<int>("--requests", "-n") { Description = "Later requests to measure on one gateway (default 2000).", DefaultValueFactory = _ => 2000 };
        var cmd = new Command("ace", "End-to-end latency through the AS, a device and the gateway on loopback: the first request (token fetch included) and later ones, against a plain CoAP GET.")
        {
            first, later,
        };
        cmd.SetAction(p =>
        {
            int f = p.GetValue(first);
            int n = p.GetValue(later);
            if (f is < 1 or > 100_000 || n is < 1 or > 10_000_000)
            {
                throw new CliUsageException("--first must be 1..100000 and --requests 1..10000000");
            }

            return Run(io, f, n).GetAwaiter().GetResult();
        });
        return cmd;
    }

    /// <summary>Latencies in milliseconds of the three kinds of request, measured in one run.</summary>
    internal sealed record Latencies(double[] PlainGet, double[] FirstRequest, double[] LaterRequest);

    private static async Task<int> Run(CliContext io, int firstCount, int laterCount)
    {
        Latencies l = await MeasureAsync(firstCount, laterCount).ConfigureAwait(false);
        double b = Median(l.PlainGet);
        Print(io, "plain-get", l.PlainGet, b);
        Print(io, "ace-first-request", l.FirstRequest, b);
        Print(io, "ace-later-request", l.LaterRequest, b);
        PrintRsState(io);
        return ExitCodes.Ok;
    }

    /// <summary>Measures a plain GET (the baseline), the first request of a new gateway and later protected requests.</summary>
    internal static async Task<Latencies> MeasureAsync(int firstCount, int laterCount)
    {
        // Each measured first request brings up a new gateway (a new peer and PoP key) and leaves its context in use:
        // far more clients per minute than 8 slots protect, so admission is off and the device evicts the least
        // recently used slot.
        using var system = new LoopbackSystem(TimeProvider.System, admission: false);
        var coap = new CoapClientOptions { Timeout = TimeSpan.FromSeconds(10) };
        var temp = new Uri(system.BaseA, "/temp");

        // Baseline: the same device, a plain GET of its unprotected /hello, one client.
        using (var plain = new CoapClient(coap))
        {
            await Repeat(Math.Min(200, laterCount), () => plain.GetAsync(new Uri(system.BaseA, "/hello")));
            double[] baseline = await Repeat(laterCount, () => plain.GetAsync(new Uri(system.BaseA, "/hello")));

            var credential = AceCredentialFile.Load(system.ClientCredential);

            // The gateways follow one another on one credential: its Sender Sequence Number must carry over (RFC 8613
            // Appendix B.1.1), or the AS would take the next gateway's first request for a replay.
            var sequence = new SharedSequenceNumber();
            double[] firsts = new double[firstCount];
            for (int i = 0; i < firstCount + 3; i++)
            {
                // The first three are warm-up (JIT); every measured one starts from a new gateway with no token.
                await using var gw = new AceClient(credential, new AceClientOptions { Coap = coap, AsSequenceNumberStore = sequence });
                long t0 = Stopwatch.GetTimestamp();
                CoapResponse r = await gw.GetAsync(temp);
                double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                Check(r);
                if (i >= 3)
                {
                    firsts[i - 3] = ms;
                }
            }

            await using var warm = new AceClient(credential, new AceClientOptions { Coap = coap, AsSequenceNumberStore = sequence });
            Check(await warm.GetAsync(temp));
            await Repeat(Math.Min(200, laterCount), () => warm.GetAsync(temp));
            double[] laters = await Repeat(laterCount, () => warm.GetAsync(temp));

            return new Latencies(baseline, firsts, laters);
        }
    }

    private static async Task<double[]> Repeat(int n, Func<Task<CoapResponse>> op)
    {
        double[] ms = new double[n];
        for (int i = 0; i < n; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            Check(await op());
            ms[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }

        return ms;
    }

    private static void Check(CoapResponse r)
    {
        if (r.Code != CoapCode.Content)
        {
            throw new CoapException("the benchmark request got " + r.CodeText, CoapExchangeFailure.Rejected);
        }
    }

    private static void Print(CliContext io, string bench, double[] ms, double baselineMedian)
    {
        double median = Median(ms);
        var line = new Dictionary<string, object>
        {
            ["bench"] = bench,
            ["n"] = ms.Length,
            ["median_ms"] = Math.Round(median, 3),
            ["p90_ms"] = Math.Round(Percentile(ms, 0.9), 3),
            ["p99_ms"] = Math.Round(Percentile(ms, 0.99), 3),
            ["ratio_to_plain_get"] = Math.Round(median / baselineMedian, 2),
        };
        io.Out.WriteLine(JsonSerializer.Serialize(line));
    }

    // Every byte of a slot is allocated when the engine is built, so one slot costs (16-slot engine − 8-slot engine) / 8.
    // GetAllocatedBytesForCurrentThread counts this thread only; the first build warms up type initialisers.
    private static void PrintRsState(CliContext io)
    {
        var provider = new ManagedCryptoProvider(PlatformRandomSource.Instance);
        long Build(int slots)
        {
            var settings = new AceRsSettings("rs-state", "coap://as.example/token") { Slots = slots };
            long before = GC.GetAllocatedBytesForCurrentThread();
            using var engine = new AceResourceServer(settings, provider);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Build(16);
        long perSlot = (Build(16) - Build(8)) / 8;
        var line = new Dictionary<string, object>
        {
            ["bench"] = "rs-state",
            ["crypto"] = "managed",
            ["runtime"] = Environment.Is64BitProcess ? "64-bit CLR" : "32-bit CLR",
            ["window_bits"] = 32,
            ["bytes_per_slot"] = perSlot,
            ["model_bytes_per_slot"] = AceResourceServer.StateBytesPerSlot(new AceRsSettings("rs-state", "coap://as.example/token")),
            ["bytes_8_clients"] = 8 * perSlot,
            ["budget_bytes_8_clients"] = 4096,
            ["ratio_to_budget"] = Math.Round(8 * perSlot / 4096.0, 3),
        };
        io.Out.WriteLine(JsonSerializer.Serialize(line));
    }

    private sealed class SharedSequenceNumber : PopIoT.Core.Oscore.ISequenceNumberStore
    {
        private long _value;

        public bool TryLoad(out long value)
        {
            value = Interlocked.Read(ref _value);
            return value > 0;
        }

        public void Save(long value) => Interlocked.Exchange(ref _value, value);
    }

    private static double Median(double[] v) => Percentile(v, 0.5);

    private static double Percentile(double[] v, double q)
    {
        double[] s = (double[])v.Clone();
        Array.Sort(s);
        return s[Math.Min(s.Length - 1, (int)Math.Floor(q * (s.Length - 1) + 0.5))];
    }
}
