using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace PopIoT.Cli.Bench;

/// <summary>
/// A small in-process timer for <c>popiot bench</c>: warm up, then time several batches and
/// keep the median, with allocations counted on the measuring thread. BenchmarkDotNet
/// (tests/PopIoT.Benchmarks) is the reference; this exists so side-by-side comparisons run
/// from the command a user already has, and print one JSON object per line (DESIGN.md §8).
/// </summary>
internal static class Measurement
{
    public sealed record Result(string Bench, string Impl, int Size, double NsPerOp, double AllocatedBytesPerOp, long Operations);

    /// <summary>Times <paramref name="op"/> for about <paramref name="budget"/> in 7 batches; returns the median batch.</summary>
    public static Result Run(string bench, string impl, int size, Action op, TimeSpan budget)
    {
        // Warm-up long enough for tiered JIT to install optimized code (tier-up happens after 30
        // calls plus a background compile), and an estimate of one call's cost.
        var sw = Stopwatch.StartNew();
        long warm = 0;
        TimeSpan warmUp = TimeSpan.FromMilliseconds(Math.Max(500, budget.TotalMilliseconds / 2));
        while (sw.Elapsed < warmUp || warm < 100)
        {
            op();
            warm++;
        }

        double estimateNs = sw.Elapsed.TotalNanoseconds / warm;
        const int Batches = 7;
        long perBatch = Math.Max(1, (long)(budget.TotalNanoseconds / Batches / Math.Max(estimateNs, 1)));
        var times = new double[Batches];
        long allocated = 0;
        for (int b = 0; b < Batches; b++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            for (long i = 0; i < perBatch; i++)
            {
                op();
            }

            times[b] = Stopwatch.GetElapsedTime(start).TotalNanoseconds / perBatch;
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Array.Sort(times);
        return new Result(bench, impl, size, times[Batches / 2], (double)allocated / (perBatch * Batches), perBatch * Batches);
    }

    /// <summary>Prints one JSON line; with a baseline from the same run, adds the ratio.</summary>
    public static void Print(TextWriter output, Result r, Result? baseline)
    {
        var line = new Dictionary<string, object?>
        {
            ["bench"] = r.Bench,
            ["impl"] = r.Impl,
            ["size"] = r.Size,
            ["ns_per_op"] = Math.Round(r.NsPerOp, 1),
            ["ops_per_s"] = Math.Round(1e9 / r.NsPerOp),
            ["alloc_bytes_per_op"] = Math.Round(r.AllocatedBytesPerOp, 1),
            ["operations"] = r.Operations,
        };
        if (baseline != null)
        {
            line["baseline"] = baseline.Impl;
            line["ratio"] = Math.Round(r.NsPerOp / baseline.NsPerOp, 3);
        }

        output.WriteLine(JsonSerializer.Serialize(line));
    }

    public static string Format(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
