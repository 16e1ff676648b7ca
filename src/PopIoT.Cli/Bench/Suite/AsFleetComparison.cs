using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PopIoT.AuthorizationServer;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Core.Ace;
using PopIoT.Core.Cbor;
using PopIoT.Core.Oscore;
using PopIoT.Crypto;

namespace PopIoT.Cli.Bench.Suite;

/// <summary>
/// Tokens per second of real <c>popiot as serve</c> processes for 32 concurrent clients, each with its own OSCORE
/// context, over UDP on loopback (RFC 9200 §5.8, RFC 9203 §5): one instance on SQLite (the baseline), one on PostgreSQL,
/// and two on the same PostgreSQL database with the clients spread over both. Beside tokens per second each figure says
/// where the time went: the CPU the AS processes, the load generator and a local PostgreSQL server (its postmaster and
/// backends) used (from /proc), how busy the machine was,
/// and from the AS's own metrics the mean time in /token, the mean group commit and the tokens per commit
/// (docs/authorization-server.md, "Metrics"). PostgreSQL comes from POPIOT_BENCH_POSTGRES (or POPIOT_TEST_POSTGRES),
/// a connection string whose user may create databases; without it those series are not measured.
/// </summary>
internal sealed class AsFleetComparison : ISuiteComparison
{
    private const int Clients = 32;

    public string Id => "as-fleet";

    public string Title => "Authorization server fleet: tokens per second of as serve processes, 32 OSCORE clients over UDP";

    public IReadOnlyList<string> Series => ["as-1-sqlite", "as-1-postgres", "as-2-postgres"];

    public int Steps(SuiteSettings settings) => 3;

    public async Task RunAsync(SuiteRun run)
    {
        double sqlite = await MeasureAsync(run, "as-1-sqlite", Path.Combine(run.Scratch, "as-fleet.db"), 1, null, null, null).ConfigureAwait(false);
        string? server = Environment.GetEnvironmentVariable("POPIOT_BENCH_POSTGRES") ?? Environment.GetEnvironmentVariable("POPIOT_TEST_POSTGRES");
        if (string.IsNullOrWhiteSpace(server))
        {
            foreach (string s in Series.Skip(1))
            {
                run.Emit(SuiteRecord.Missing(Id, s, "burst", "no PostgreSQL server: set POPIOT_BENCH_POSTGRES to a connection string whose user may create databases (.ci/run starts one)"));
                run.Progress.Step(Id + ": " + s + " not measured");
            }

            return;
        }

        double one;
        using (var db = BenchPostgresDatabase.Create(server))
        {
            one = await MeasureAsync(run, "as-1-postgres", db.Url, 1, sqlite, "as-1-sqlite", db.ServerPid()).ConfigureAwait(false);
        }

        using (var db = BenchPostgresDatabase.Create(server))
        {
            await MeasureAsync(run, "as-2-postgres", db.Url, 2, one, "as-1-postgres", db.ServerPid()).ConfigureAwait(false);
        }
    }

    private async Task<double> MeasureAsync(SuiteRun run, string series, string db, int instances, double? baseline, string? baselineName, int? databasePid)
    {
        List<SecurityContext> contexts = Register(db);
        var servers = new List<ServeProcess>();
        try
        {
            int[] ports = new int[instances];
            int[] metricPorts = new int[instances];
            for (int i = 0; i < instances; i++)
            {
                ports[i] = FreeUdpPort();
                metricPorts[i] = FreeTcpPort();
                servers.Add(ServeProcess.Start(
                    "as", "serve", "--db", db, "--bind", "127.0.0.1", "--port", ports[i].ToString(CultureInfo.InvariantCulture), "--duration", "3600",
                    "--prometheus", MetricsUrl(metricPorts[i])));
            }

            byte[] body = TokenRequest();
            List<TokenBurst.Target> targets = contexts.Select((c, k) => new TokenBurst.Target(c, new Uri("coap://127.0.0.1:" + ports[k % instances].ToString(CultureInfo.InvariantCulture)), body, k % instances)).ToList();

            // Warm-up: every client's first request meets an Echo challenge (RFC 8613 Appendix B.1.2), and the JIT.
            var warm = new TokenBurst(targets, Clients * 10, TimeSpan.FromSeconds(10));
            await warm.RunAsync(TimeSpan.Zero).ConfigureAwait(false);
            Check(warm, servers);

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            Scrape before = await Scrape.ReadAsync(http, metricPorts.Select(MetricsUrl)).ConfigureAwait(false);
            TimeSpan[] cpuBefore = servers.Select(s => ServeProcess.CpuTime(s.Pid)).ToArray();
            TimeSpan selfBefore = ServeProcess.CpuTime(Environment.ProcessId);
            TimeSpan databaseBefore = databasePid is int dp ? ServeProcess.TreeCpuTime(dp) : TimeSpan.Zero;
            (long busyBefore, long totalBefore) = ServeProcess.MachineCpu();

            var burst = new TokenBurst(targets, run.Settings.AsFleetRequests, TimeSpan.FromSeconds(10));
            await burst.RunAsync(TimeSpan.Zero).ConfigureAwait(false);

            (long busyAfter, long totalAfter) = ServeProcess.MachineCpu();
            double seconds = burst.Elapsed.TotalSeconds;
            double asCores = servers.Select((s, i) => (ServeProcess.CpuTime(s.Pid) - cpuBefore[i]).TotalSeconds).Sum() / seconds;
            double clientCores = (ServeProcess.CpuTime(Environment.ProcessId) - selfBefore).TotalSeconds / seconds;
            double? databaseCores = databasePid is int pp ? (ServeProcess.TreeCpuTime(pp) - databaseBefore).TotalSeconds / seconds : null;
            Scrape after = await Scrape.ReadAsync(http, metricPorts.Select(MetricsUrl)).ConfigureAwait(false);
            Check(burst, servers);

            double perSecond = burst.Outcomes.Count / seconds;
            double[] latencies = burst.Outcomes.Select(o => (o.Answered - o.Sent).TotalMilliseconds).ToArray();
            var r = SuiteRecord.Create(SuiteRecord.Figure, Id, series, "burst");
            r["concurrency"] = Clients;
            r["instances"] = instances;
            r["n"] = burst.Outcomes.Count;
            r["errors"] = 0;
            r["per_s"] = Math.Round(perSecond);
            r["latency_ms_p50"] = SuiteRecord.Round(SuiteRecord.Quantile(latencies, 0.50), 2);
            r["latency_ms_p90"] = SuiteRecord.Round(SuiteRecord.Quantile(latencies, 0.90), 2);
            r["latency_ms_p99"] = SuiteRecord.Round(SuiteRecord.Quantile(latencies, 0.99), 2);
            r["as_cpu_cores"] = SuiteRecord.Round(asCores, 2);
            r["client_cpu_cores"] = SuiteRecord.Round(clientCores, 2);
            r["db_cpu_cores"] = databaseCores is double dc ? SuiteRecord.Round(dc, 2) : null;
            r["machine_busy"] = totalAfter > totalBefore ? SuiteRecord.Round((busyAfter - busyBefore) / (double)(totalAfter - totalBefore), 2) : null;
            r["cores"] = Environment.ProcessorCount;
            r["token_ms_mean"] = SuiteRecord.Round(1000 * Delta(before, after, "popiot_as_request_duration_seconds_sum", "popiot_as_request_duration_seconds_count", "popiot_as_endpoint=\"token\""), 3);
            r["commit_ms_mean"] = SuiteRecord.Round(1000 * Delta(before, after, "db_client_operation_duration_seconds_sum", "db_client_operation_duration_seconds_count", null), 3);
            r["tokens_per_commit"] = SuiteRecord.Round(Delta(before, after, "popiot_as_commit_batch_size_sum", "popiot_as_commit_batch_size_count", null), 1);
            r["as_cpu_ms_per_token"] = SuiteRecord.Round(1000 * asCores / perSecond, 3);
            if (baseline is double b)
            {
                r["baseline"] = baselineName;
                r["ratio"] = SuiteRecord.Round(perSecond / b);
            }

            run.Emit(r);
            run.Progress.Step(Id + ": " + series + " " + Math.Round(perSecond) + " tokens/s");
            return perSecond;
        }
        finally
        {
            foreach (ServeProcess s in servers)
            {
                s.Dispose();
            }

            foreach (SecurityContext c in contexts)
            {
                c.Dispose();
            }
        }
    }

    // The registry of the run: one RS, 32 clients granted it; the clients' contexts are made from their credentials.
    private static List<SecurityContext> Register(string db)
    {
        using IAuthorizationStore store = AuthorizationStores.Create(db);
        var registry = new AuthorizationServerRegistry(store, PlatformCryptoProvider.Instance.Random);
        registry.AddResourceServer("temp1");
        var contexts = new List<SecurityContext>();
        for (int i = 0; i < Clients; i++)
        {
            OscoreCredential k = registry.AddClient("c" + i.ToString(CultureInfo.InvariantCulture)).Credential;
            registry.Grant("c" + i.ToString(CultureInfo.InvariantCulture), "temp1", PopIoT.Ace.AccessScope.Parse("read"));
            contexts.Add(new SecurityContext(PlatformCryptoProvider.Instance, k.MasterSecret, k.MasterSalt, k.PeerSenderId, k.AsSenderId, null!, new SecurityContextOptions { Algorithm = k.Algorithm }));
        }

        return contexts;
    }

    private static void Check(TokenBurst burst, List<ServeProcess> servers)
    {
        TokenBurst.Outcome? failed = burst.Outcomes.FirstOrDefault(o => o.Error != null);
        if (failed != null)
        {
            throw new InvalidOperationException(burst.Outcomes.Count(o => o.Error != null) + " token requests failed, e.g. " + failed.Error + "; the AS logged: " + servers[failed.Instance].ErrorTail);
        }
    }

    // The mean of a histogram over the burst: the change of its sum over the change of its count, over all instances.
    private static double Delta(Scrape before, Scrape after, string sum, string count, string? label)
    {
        double n = after.Sum(count, label) - before.Sum(count, label);
        return n > 0 ? (after.Sum(sum, label) - before.Sum(sum, label)) / n : 0;
    }

    private static byte[] TokenRequest()
    {
        byte[] buffer = new byte[64];
        var w = new CborWriter(buffer);
        w.WriteStartMap(1);
        w.WriteInt32(AceParameters.Audience);
        w.WriteTextString("temp1");
        return buffer.AsSpan(0, w.BytesWritten).ToArray();
    }

    private static string MetricsUrl(int port) => "http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture) + "/metrics";

    private static int FreeUdpPort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }

    private static int FreeTcpPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    // The samples of the Prometheus text format, "name{labels} value", summed over the instances scraped.
    private sealed class Scrape(List<string> lines)
    {
        public static async Task<Scrape> ReadAsync(HttpClient http, IEnumerable<string> urls)
        {
            var lines = new List<string>();
            foreach (string url in urls)
            {
                lines.AddRange((await http.GetStringAsync(new Uri(url)).ConfigureAwait(false)).Split('\n').Where(l => !l.StartsWith('#')));
            }

            return new Scrape(lines);
        }

        public double Sum(string name, string? label) => lines
            .Where(l => (l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal)) && (label == null || l.Contains(label, StringComparison.Ordinal)))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture));
    }
}
