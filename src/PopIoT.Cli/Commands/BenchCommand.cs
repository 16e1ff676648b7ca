using System.CommandLine;
using PopIoT.Cli.Bench;
using PopIoT.Cli.Coap;
using PopIoT.Coap;
using PopIoT.Core;
using PopIoT.Core.Crypto;
using PopIoT.Crypto;

namespace PopIoT.Cli.Commands;

/// <summary>
/// <c>popiot bench ...</c>: side-by-side measurements that print one JSON object per line, each
/// with its ratio against a baseline measured in the same run (DESIGN.md §8).
/// </summary>
internal static class BenchCommand
{
    public static Command Create(CliContext io)
    {
        var seconds = new Option<double>("--seconds")
        {
            Description = "Time budget per measurement, in seconds (default 1).",
            DefaultValueFactory = _ => 1.0,
        };
        var sizes = new Option<int[]>("--size")
        {
            Description = "Input sizes in bytes (default 64 and 1024).",
            DefaultValueFactory = _ => [64, 1024],
            AllowMultipleArgumentsPerToken = true,
        };

        var crypto = new Command("crypto", "Managed (PopIoT.Core) against platform HMAC-SHA256 and AES-CCM-16-64-128; the platform is the baseline.")
        {
            seconds,
            sizes,
        };
        crypto.SetAction(p => Crypto(io, Budget(p.GetValue(seconds)), p.GetValue(sizes)!));

        return new Command("bench", "Measure PopIoT against baselines in the same run; prints JSON lines.")
        {
            crypto, CoapBench(io), AceBench.Create(io), BenchSuiteCommand.Suite(io), BenchSuiteCommand.Plot(io), Bench.Suite.OscoreBenchServer.Create(io),
        };
    }

    private static Command CoapBench(CliContext io)
    {
        var target = new Option<string?>("--target") { Description = "The URI to GET, e.g. coap://127.0.0.1:5683/time, or coaps://127.0.0.1:5684/time with --psk-identity and --psk (one DTLS session per client)." };
        var pskIdentity = CoapPskOptions.IdentityOption();
        var psk = CoapPskOptions.KeyOption();
        var requests = new Option<int>("--requests", "-n") { Description = "Requests to measure (default 10000).", DefaultValueFactory = _ => 10000 };
        var concurrency = new Option<int>("--concurrency", "-c") { Description = "Clients sending at once, each with its own socket (default 8).", DefaultValueFactory = _ => 8 };
        var non = new Option<bool>("--non") { Description = "Send NON requests (default CON)." };
        var timeout = new Option<double>("--timeout") { Description = "Per-request timeout in seconds (default 5); a timeout counts as an error.", DefaultValueFactory = _ => 5 };
        var compare = new Option<bool>("--compare-libcoap")
        {
            Description = "Start `popiot coap serve` and libcoap's coap-server-notls on 127.0.0.1, GET /time on each with the same generator, and print the throughput ratio (ours / libcoap).",
        };
        var rounds = new Option<int>("--rounds") { Description = "With --compare-libcoap: measure both servers this many times, alternating, and report the median ratio (default 3).", DefaultValueFactory = _ => 3 };
        var cmd = new Command("coap", "CoAP GET load generator (our CoapClient): requests/s, latency percentiles and errors, one JSON line per run.")
        {
            target, requests, concurrency, non, timeout, compare, rounds, pskIdentity, psk,
        };
        cmd.SetAction(p =>
        {
            int n = p.GetValue(requests);
            int c = p.GetValue(concurrency);
            double t = p.GetValue(timeout);
            if (n is < 1 or > 10_000_000 || c is < 1 or > 1024 || c > n)
            {
                throw new CliUsageException("--requests must be 1..10000000 and --concurrency 1..1024 and at most --requests");
            }

            if (t is <= 0 or > 600 || double.IsNaN(t))
            {
                throw new CliUsageException("--timeout must be in (0, 600] seconds");
            }

            bool con = !p.GetValue(non);
            if (p.GetValue(compare))
            {
                if (p.GetValue(target) != null)
                {
                    throw new CliUsageException("--compare-libcoap starts its own servers; leave out --target");
                }

                if (p.GetValue(pskIdentity) != null || p.GetValue(psk) != null)
                {
                    throw new CliUsageException("--compare-libcoap measures plain CoAP; --psk-identity and --psk go with a coaps:// --target");
                }

                int k = p.GetValue(rounds);
                if (k is < 1 or > 100)
                {
                    throw new CliUsageException("--rounds must be 1..100");
                }

                return CompareLibcoap(io, n, c, con, TimeSpan.FromSeconds(t), k).GetAwaiter().GetResult();
            }

            string uri = p.GetValue(target) ?? throw new CliUsageException("give --target URI (or --compare-libcoap)");
            Uri parsed;
            try
            {
                parsed = CoapUri.Parse(uri);
            }
            catch (FormatException e)
            {
                throw new CliUsageException(e.Message);
            }

            (byte[]? id, byte[]? key) = CoapPskOptions.ParseClient(parsed, p.GetValue(pskIdentity), p.GetValue(psk));
            try
            {
                // RFC 7252 §9: each client opens its own DTLS session in the warm-up, so handshakes are not measured.
                var r = CoapLoadGenerator.RunAsync("popiot-client", parsed, n, c, con, TimeSpan.FromSeconds(t), (_, o) =>
                {
                    o.PskIdentity = id;
                    o.Psk = key;
                    o.Dtls = id == null ? null : CoapPskOptions.Settings(t);
                }).GetAwaiter().GetResult();
                CoapLoadGenerator.Print(io.Out, r, null);
                return r.Errors == 0 ? ExitCodes.Ok : ExitCodes.Rejected;
            }
            finally
            {
                if (key != null)
                {
                    Array.Clear(key);
                }
            }
        });
        return cmd;
    }

    // DESIGN.md §8: plain CoAP GET throughput at least as high as libcoap's coap-server, measured in the same run.
    private static async Task<int> CompareLibcoap(CliContext io, int n, int c, bool con, TimeSpan timeout, int rounds)
    {
        using CoapServerProcess libcoap = CoapServerProcess.StartLibcoap();
        using CoapServerProcess ours = CoapServerProcess.StartOurs();
        await libcoap.WaitReadyAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        await ours.WaitReadyAsync(TimeSpan.FromSeconds(20)).ConfigureAwait(false);
        // Warm both up alike (our server's JIT tiers up under load), then measure.
        await CoapLoadGenerator.RunAsync(libcoap.Name, libcoap.Uri("/time"), Math.Min(n, 5000), c, con, timeout).ConfigureAwait(false);
        await CoapLoadGenerator.RunAsync(ours.Name, ours.Uri("/time"), Math.Min(n, 5000), c, con, timeout).ConfigureAwait(false);
        // Rounds alternate the two servers, so a burst of load from elsewhere on the machine hits both alike; the
        // summary is the median of the per-round ratios.
        var ratios = new List<double>();
        var baselineRps = new List<double>();
        var oursRps = new List<double>();
        int errors = 0;
        for (int round = 0; round < rounds; round++)
        {
            var baseline = await CoapLoadGenerator.RunAsync(libcoap.Name, libcoap.Uri("/time"), n, c, con, timeout).ConfigureAwait(false);
            CoapLoadGenerator.Print(io.Out, baseline, null);
            var mine = await CoapLoadGenerator.RunAsync(ours.Name, ours.Uri("/time"), n, c, con, timeout).ConfigureAwait(false);
            CoapLoadGenerator.Print(io.Out, mine, baseline);
            ratios.Add(mine.RequestsPerSecond / baseline.RequestsPerSecond);
            baselineRps.Add(baseline.RequestsPerSecond);
            oursRps.Add(mine.RequestsPerSecond);
            errors += baseline.Errors + mine.Errors;
        }

        var summary = new Dictionary<string, object>
        {
            ["bench"] = "coap-get-compare",
            ["impl"] = ours.Name,
            ["baseline"] = libcoap.Name,
            ["requests"] = n,
            ["concurrency"] = c,
            ["rounds"] = rounds,
            ["requests_per_s_median"] = Math.Round(Median(oursRps)),
            ["baseline_requests_per_s_median"] = Math.Round(Median(baselineRps)),
            ["ratio_median"] = Math.Round(Median(ratios), 3),
            ["ratio_min"] = Math.Round(ratios.Min(), 3),
            ["ratio_max"] = Math.Round(ratios.Max(), 3),
        };
        io.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(summary));
        return errors == 0 ? ExitCodes.Ok : ExitCodes.Rejected;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static TimeSpan Budget(double seconds) =>
        seconds is > 0 and <= 600 ? TimeSpan.FromSeconds(seconds) : throw new CliUsageException("--seconds must be in (0, 600]");

    private static int Crypto(CliContext io, TimeSpan budget, int[] sizes)
    {
        var managed = new ManagedCryptoProvider(PlatformCryptoProvider.Instance.Random);
        var platform = PlatformCryptoProvider.Instance;
        byte[] key = new byte[16];
        platform.Random.GetBytes(key, 0, key.Length);
        byte[] nonce = new byte[13];
        byte[] tag = new byte[8];
        foreach (int size in sizes)
        {
            if (size is < 0 or > 1 << 20)
            {
                throw new CliUsageException("--size must be between 0 and 1048576 bytes");
            }

            byte[] data = new byte[size];
            byte[] output = new byte[size];
            byte[] mac = new byte[32];

            using IMac platformHmac = platform.CreateHmacSha256(key, 0, key.Length);
            using IMac managedHmac = managed.CreateHmacSha256(key, 0, key.Length);
            var hb = Measurement.Run("hmac-sha256", "platform", size, () => { platformHmac.Update(data, 0, size); platformHmac.Final(mac, 0); }, budget);
            Measurement.Print(io.Out, hb, null);
            Measurement.Print(io.Out, Measurement.Run("hmac-sha256", "managed", size, () => { managedHmac.Update(data, 0, size); managedHmac.Final(mac, 0); }, budget), hb);

            using IAeadCipher platformCcm = platform.CreateAesCcm(key, 0, key.Length, 8, 2);
            using IAeadCipher managedCcm = managed.CreateAesCcm(key, 0, key.Length, 8, 2);
            var cb = Measurement.Run("aes-ccm-16-64-128-encrypt", "platform", size, () => platformCcm.Encrypt(new ByteRange(nonce, 0, 13), new ByteRange(data, 0, size), output, 0, tag, 0, default), budget);
            Measurement.Print(io.Out, cb, null);
            Measurement.Print(io.Out, Measurement.Run("aes-ccm-16-64-128-encrypt", "managed", size, () => managedCcm.Encrypt(new ByteRange(nonce, 0, 13), new ByteRange(data, 0, size), output, 0, tag, 0, default), budget), cb);
        }

        return ExitCodes.Ok;
    }
}
