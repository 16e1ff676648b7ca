using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using PopIoT.Ace;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using static PopIoT.AuthorizationServer.Tests.AceTestBed;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// The metrics of a real <c>popiot as serve --prometheus URL</c> process, scraped over HTTP after known requests: every
/// counter moves by exactly what was done, refusals carry their RFC 9200 error as error.type, and the histograms count
/// every request and commit (docs/authorization-server.md, "Metrics").
/// </summary>
public sealed partial class MetricsProcessTests : TempDirectoryTest
{
    [Fact]
    public async Task The_prometheus_endpoint_counts_issued_and_refused_tokens_by_reason_introspections_and_latencies()
    {
        string db = F("as.db");
        Assert.Equal(0, CliRunner.Run("as", "init", "--db", db).ExitCode);
        Assert.Equal(0, CliRunner.Run("as", "rs", "add", "--db", db, "--audience", "temp1", "--key-out", F("rs.key"), "--credential-out", F("rs.json")).ExitCode);
        Assert.Equal(0, CliRunner.Run("as", "client", "add", "--db", db, "--client-id", "gw1", "--credential-out", F("gw1.json")).ExitCode);
        Assert.Equal(0, CliRunner.Run("as", "grant", "--db", db, "--client", "gw1", "--audience", "temp1", "--scope", "read").ExitCode);
        SqliteConnection.ClearAllPools();

        int port = PopiotProcess.FreeUdpPort();
        string metricsUrl = "http://127.0.0.1:" + FreeTcpPort().ToString(CultureInfo.InvariantCulture) + "/metrics";
        using PopiotProcess serve = PopiotProcess.Start(
            "listening on", false, "as", "serve", "--db", db, "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--duration", "120", "--prometheus", metricsUrl);
        Assert.Contains("metrics on " + metricsUrl, serve.Out, StringComparison.Ordinal);

        // Before any request the AS's instruments have nothing to show.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        Assert.DoesNotContain("popiot_as_token_issued", await http.GetStringAsync(new Uri(metricsUrl)), StringComparison.Ordinal);

        var asUri = new Uri("coap://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture));
        using SecurityContext client = AceCredentialFile.Load(F("gw1.json")).Oscore.CreateContext();
        using SecurityContext rs = AceCredentialFile.Load(F("rs.json")).Oscore.CreateContext();
        await using CoapClient c = Client(client);
        await using CoapClient r = Client(rs);
        await using CoapClient anonymous = Client(null);

        var tokens = new List<byte[]>();
        for (int i = 0; i < 3; i++)
        {
            CoapResponse ok = await Post(c, asUri, "/token", TokenRequest("temp1"));
            Assert.True(ok.Code == CoapCode.Created, ok.CodeText + " " + ok.PayloadText);
            tokens.Add(Bytes(Map(ok.Payload)[AceParameters.AccessToken]));
        }

        await Refused(c, asUri, "/token", TokenRequest("temp1", Encode(w => w.WriteTextString("write"))), AceErrorCode.InvalidScope);
        await Refused(c, asUri, "/token", TokenRequest("temp1", Encode(w => w.WriteTextString("admin"))), AceErrorCode.InvalidScope);
        await Refused(c, asUri, "/token", TokenRequest("nowhere"), AceErrorCode.UnauthorizedClient);
        await Refused(anonymous, asUri, "/token", TokenRequest("temp1"), AceErrorCode.InvalidClient);

        CoapResponse active = await Post(r, asUri, "/introspect", IntrospectionRequest(tokens[0]));
        Assert.Equal([0xf5], Map(active.Payload)[AceParameters.Active]);
        CoapResponse inactive = await Post(r, asUri, "/introspect", IntrospectionRequest([1, 2, 3]));
        Assert.Equal([0xf4], Map(inactive.Payload)[AceParameters.Active]);
        await Refused(c, asUri, "/introspect", IntrospectionRequest(tokens[0]), AceErrorCode.InvalidClient);

        string text = await http.GetStringAsync(new Uri(metricsUrl));
        List<(string Name, Dictionary<string, string> Labels, double Value)> m = Parse(text);
        string Show() => "scraped:\n" + text + "\nserver:\n" + serve.Error;

        Assert.True(Sum(m, "popiot_as_token_issued_total") == 3, Show());
        Assert.True(Sum(m, "popiot_as_token_refused_total", ("error_type", "invalid_scope")) == 2, Show());
        Assert.True(Sum(m, "popiot_as_token_refused_total", ("error_type", "unauthorized_client")) == 1, Show());
        Assert.True(Sum(m, "popiot_as_token_refused_total", ("error_type", "invalid_client")) == 1, Show());
        Assert.True(Sum(m, "popiot_as_token_refused_total") == 4, Show());
        Assert.True(Sum(m, "popiot_as_introspection_total", ("popiot_as_introspection_result", "active")) == 1, Show());
        Assert.True(Sum(m, "popiot_as_introspection_total", ("popiot_as_introspection_result", "inactive")) == 1, Show());
        Assert.True(Sum(m, "popiot_as_introspection_total", ("popiot_as_introspection_result", "refused"), ("error_type", "invalid_client")) == 1, Show());

        // Every request is in the latency histogram of its endpoint, in seconds; the commits stored the three tokens.
        Assert.True(Sum(m, "popiot_as_request_duration_seconds_count", ("popiot_as_endpoint", "token")) == 7, Show());
        Assert.True(Sum(m, "popiot_as_request_duration_seconds_count", ("popiot_as_endpoint", "token"), ("error_type", "invalid_scope")) == 2, Show());
        Assert.True(Sum(m, "popiot_as_request_duration_seconds_count", ("popiot_as_endpoint", "introspect")) == 3, Show());
        Assert.Contains("# TYPE popiot_as_request_duration_seconds histogram", text, StringComparison.Ordinal);
        Assert.True(Sum(m, "db_client_operation_duration_seconds_count", ("db_system_name", "sqlite"), ("db_operation_name", "BATCH INSERT")) >= 1, Show());
        Assert.True(Sum(m, "db_client_operation_duration_seconds_sum", ("db_system_name", "sqlite")) > 0, Show());
        Assert.True(Sum(m, "popiot_as_commit_batch_size_sum", ("db_system_name", "sqlite")) == 3, Show());

        // No label carries a client, an audience or a token.
        Assert.DoesNotContain("gw1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("temp1", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_taken_metrics_port_or_a_bad_url_exits_2_with_one_line_before_serving()
    {
        string db = F("as.db");
        Assert.Equal(0, CliRunner.Run("as", "init", "--db", db).ExitCode);
        SqliteConnection.ClearAllPools();
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int busy = ((IPEndPoint)taken.LocalEndpoint).Port;

        CliRunner.Result r = CliRunner.Run("as", "serve", "--db", db, "--bind", "127.0.0.1", "--port", "0", "--duration", "5", "--prometheus", "http://127.0.0.1:" + busy.ToString(CultureInfo.InvariantCulture) + "/metrics");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("cannot serve metrics on http://127.0.0.1:" + busy.ToString(CultureInfo.InvariantCulture) + "/metrics", r.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("listening on", r.Out, StringComparison.Ordinal);

        foreach (string bad in new[] { "https://127.0.0.1:9464/metrics", "http://127.0.0.1:9464/", "127.0.0.1:9464", "http://127.0.0.1:9464/metrics?x=1" })
        {
            CliRunner.Result b = CliRunner.Run("as", "serve", "--db", db, "--bind", "127.0.0.1", "--port", "0", "--duration", "5", "--prometheus", bad);
            Assert.Equal(2, b.ExitCode);
            Assert.Contains("As:Prometheus must be an http URL with a path", b.Error, StringComparison.Ordinal);
        }
    }

    private static async Task Refused(CoapClient client, Uri asUri, string path, byte[] body, int error)
    {
        CoapResponse r = await Post(client, asUri, path, body);
        Assert.True(r.Code is CoapCode.BadRequest or CoapCode.Unauthorized, r.CodeText + " " + r.PayloadText);
        Assert.Equal(error, (int)Int(Map(r.Payload)[AceParameters.Error]));
    }

    // The Prometheus text format: "name{label="value",...} value" per sample; HELP, TYPE and EOF lines start with '#'.
    internal static List<(string Name, Dictionary<string, string> Labels, double Value)> Parse(string text)
    {
        var samples = new List<(string, Dictionary<string, string>, double)>();
        foreach (string line in text.Split('\n'))
        {
            Match s = Sample().Match(line.TrimEnd('\r'));
            if (s.Success)
            {
                var labels = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (Match l in Label().Matches(s.Groups[2].Value))
                {
                    labels[l.Groups[1].Value] = l.Groups[2].Value;
                }

                samples.Add((s.Groups[1].Value, labels, double.Parse(s.Groups[3].Value, NumberStyles.Float, CultureInfo.InvariantCulture)));
            }
        }

        return samples;
    }

    // The sum over the samples of one metric that carry every label given.
    internal static double Sum(List<(string Name, Dictionary<string, string> Labels, double Value)> m, string name, params (string Key, string Value)[] labels) =>
        m.Where(e => e.Name == name && labels.All(l => e.Labels.GetValueOrDefault(l.Key) == l.Value)).Sum(e => e.Value);

    internal static int FreeTcpPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? ([^ ]+)(?: [0-9]+)?$")]
    private static partial Regex Sample();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex Label();
}
