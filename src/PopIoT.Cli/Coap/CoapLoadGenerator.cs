using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using PopIoT.Coap;

namespace PopIoT.Cli.Coap;

/// <summary>
/// The load generator of <c>popiot bench coap</c>: CONCURRENCY workers, each a <see cref="CoapClient"/> with its own
/// socket (so NSTART = 1 holds per client, RFC 7252 §4.7), sending GETs back to back until REQUESTS are done.
/// </summary>
internal static class CoapLoadGenerator
{
    public sealed record Result(string Impl, Uri Target, int Requests, int Concurrency, int Ok, int Errors, double Seconds, double[] LatenciesMs)
    {
        public double RequestsPerSecond => Ok / Seconds;
    }

    /// <param name="impl">The name of the server measured, for the printed line.</param>
    /// <param name="target">The URI to GET.</param>
    /// <param name="requests">Requests measured, after a warm-up of 20 per client.</param>
    /// <param name="concurrency">Clients, each with its own socket.</param>
    /// <param name="confirmable">CON (true) or NON requests.</param>
    /// <param name="timeout">Per request; a timeout counts as an error.</param>
    /// <param name="configure">Sets up client i's options beyond the timeout (e.g. its own OSCORE context), or null.</param>
    public static async Task<Result> RunAsync(string impl, Uri target, int requests, int concurrency, bool confirmable, TimeSpan timeout, Action<int, CoapClientOptions>? configure = null)
    {
        var clients = Enumerable.Range(0, concurrency).Select(i =>
        {
            var options = new CoapClientOptions { Timeout = timeout, MaxConcurrentRequests = 4 };
            configure?.Invoke(i, options);
            return new CoapClient(options);
        }).ToArray();
        try
        {
            // Warm-up: sockets bound, JIT done, the server has seen every client.
            await Task.WhenAll(clients.Select(async c =>
            {
                for (int i = 0; i < 20; i++)
                {
                    await Send(c).ConfigureAwait(false);
                }
            })).ConfigureAwait(false);

            double[] latencies = new double[requests];
            bool[] good = new bool[requests];
            int next = -1;
            var wall = Stopwatch.StartNew();
            await Task.WhenAll(clients.Select(c => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < requests)
                {
                    long start = Stopwatch.GetTimestamp();
                    good[i] = await Send(c).ConfigureAwait(false);
                    latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
            }))).ConfigureAwait(false);
            wall.Stop();
            int ok = good.Count(g => g);
            return new Result(impl, target, requests, concurrency, ok, requests - ok, wall.Elapsed.TotalSeconds, latencies);
        }
        finally
        {
            foreach (CoapClient c in clients)
            {
                c.Dispose();
            }
        }

        async Task<bool> Send(CoapClient c)
        {
            try
            {
                CoapResponse r = await c.SendAsync(new CoapRequest(Core.Coap.CoapCode.Get, target) { Confirmable = confirmable }).ConfigureAwait(false);
                return r.IsSuccess;
            }
            catch (Exception e) when (e is TimeoutException or CoapException)
            {
                return false;
            }
        }
    }

    public static void Print(TextWriter output, Result r, Result? baseline)
    {
        double[] sorted = [.. r.LatenciesMs];
        Array.Sort(sorted);
        var line = new Dictionary<string, object?>
        {
            ["bench"] = "coap-get",
            ["impl"] = r.Impl,
            ["target"] = r.Target.ToString(),
            ["requests"] = r.Requests,
            ["concurrency"] = r.Concurrency,
            ["ok"] = r.Ok,
            ["errors"] = r.Errors,
            ["seconds"] = Math.Round(r.Seconds, 3),
            ["requests_per_s"] = Math.Round(r.RequestsPerSecond),
            ["latency_ms_p50"] = Math.Round(Percentile(sorted, 0.50), 3),
            ["latency_ms_p90"] = Math.Round(Percentile(sorted, 0.90), 3),
            ["latency_ms_p99"] = Math.Round(Percentile(sorted, 0.99), 3),
            ["latency_ms_max"] = Math.Round(sorted.Length == 0 ? 0 : sorted[^1], 3),
        };
        if (baseline != null)
        {
            // Throughput ratio: above 1 means faster than the baseline (DESIGN.md §8 budget: at least 1).
            line["baseline"] = baseline.Impl;
            line["ratio"] = Math.Round(r.RequestsPerSecond / baseline.RequestsPerSecond, 3);
        }

        output.WriteLine(JsonSerializer.Serialize(line));
        output.Flush();
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

    public static string Seconds(double s) => s.ToString("0.###", CultureInfo.InvariantCulture);
}
