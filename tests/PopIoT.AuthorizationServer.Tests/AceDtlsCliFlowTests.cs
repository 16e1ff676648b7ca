using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// The whole coap_dtls flow of docs/ace-dtls.md through the CLI, each party in its own process: <c>as serve</c>,
/// <c>device simulate --profile dtls [--rpk-key RS.key]</c>, and the gateway <c>popiot coap get coaps://… --ace ID.json
/// [--rpk-key GW.key]</c>. PSK mode (RFC 9202 §3.3) and RPK mode (§3.2.1): 2.05 with the temperature, a PUT outside the
/// scope refused, and in RPK mode a device started with a key other than the registered rs_cnf refused by the gateway.
/// </summary>
public sealed class AceDtlsCliFlowTests : TempDirectoryTest
{
    // The simulated device's /temp: a reading in degrees Celsius, e.g. 21.37.
    private static readonly Regex Temperature = new(@"\n-?\d+(\.\d+)?\s*$");

    [Fact]
    public void Psk_mode_through_the_cli_gets_temp_and_a_put_outside_the_scope_is_refused()
    {
        using var flow = new Flow(this, "sensor-p", ["--dtls-psk", "derive", "--protection", "mac0"]);
        using PopiotProcess device = flow.StartDevice(null);
        string uri = Coaps(device) + "/temp";

        Gateway get = Gateway.Run("coap", "get", uri, "--ace", flow.Credential, "--timeout", "20");
        Assert.True(get.ExitCode == 0, get + "\ndevice: " + device.Out + device.Error);
        Assert.Contains("2.05", get.Out, StringComparison.Ordinal);
        Assert.Matches(Temperature, get.Out);
        Assert.Contains("under the token's PSK", get.Error, StringComparison.Ordinal);

        // RFC 9202 §3.4: PUT is outside the grant of GET /temp (4.05), and no resource of the grant is /led (4.03).
        Gateway put = Gateway.Run("coap", "put", uri, "--ace", flow.Credential, "--payload", "22", "--timeout", "20");
        Assert.Contains("4.05", put.Out, StringComparison.Ordinal);
        Gateway led = Gateway.Run("coap", "put", Coaps(device) + "/led", "--ace", flow.Credential, "--payload", "1", "--timeout", "20");
        Assert.Contains("4.03", led.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Rpk_mode_through_the_cli_gets_temp_refuses_a_put_and_refuses_a_device_with_another_key()
    {
        Ok("key", "new", "--kty", "EC2", "--out", F("rs.key"), "--public-out", F("rs.pub"));
        Ok("key", "new", "--kty", "EC2", "--out", F("other.key"));
        Ok("key", "new", "--kty", "EC2", "--out", F("gw.key"));
        using var flow = new Flow(this, "sensor-r", ["--rs-cnf", "@" + F("rs.pub")]);
        using (PopiotProcess device = flow.StartDevice(F("rs.key")))
        {
            string uri = Coaps(device) + "/temp";
            Gateway get = Gateway.Run("coap", "get", uri, "--ace", flow.Credential, "--rpk-key", F("gw.key"), "--timeout", "20", "-v");
            Assert.True(get.ExitCode == 0, get + "\ndevice: " + device.Out + device.Error);
            Assert.Contains("2.05", get.Out, StringComparison.Ordinal);
            Assert.Matches(Temperature, get.Out);
            Assert.Contains("raw public keys, the RS's checked against rs_cnf", get.Error, StringComparison.Ordinal);
            Assert.Contains("equals rs_cnf", get.Error, StringComparison.Ordinal);

            Gateway put = Gateway.Run("coap", "put", uri, "--ace", flow.Credential, "--rpk-key", F("gw.key"), "--payload", "22", "--timeout", "20");
            Assert.True(put.Out.Contains("4.05", StringComparison.Ordinal), put.ToString());
        }

        // The same audience served with another key pair: not the rs_cnf the AS gives, so the gateway ends the handshake.
        using PopiotProcess impostor = flow.StartDevice(F("other.key"));
        Gateway refused = Gateway.Run("coap", "get", Coaps(impostor) + "/temp", "--ace", flow.Credential, "--rpk-key", F("gw.key"), "--timeout", "20");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("not the key", refused.Error, StringComparison.Ordinal);
        Assert.Contains("rs_cnf", refused.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("2.05", refused.Out, StringComparison.Ordinal);
    }

    private static string Coaps(PopiotProcess device)
    {
        Match m = Regex.Match(device.Out, @"coaps on (coaps://127\.0\.0\.1:\d+)");
        Assert.True(m.Success, device.Out);
        return m.Groups[1].Value;
    }

    private static CliRunner.Result Ok(params string[] args)
    {
        CliRunner.Result r = CliRunner.Run(args);
        Assert.True(r.ExitCode == 0, string.Join(' ', args) + " → " + r.ExitCode + ": " + r.Out + r.Error);
        SqliteConnection.ClearAllPools();
        return r;
    }

    // The AS (a process of its own) with one coap_dtls RS and one client granted GET /temp.
    private sealed class Flow : IDisposable
    {
        private readonly AceDtlsCliFlowTests _t;
        private readonly string _audience;
        private readonly string _asPort;
        private readonly PopiotProcess _as;

        public Flow(AceDtlsCliFlowTests t, string audience, string[] rsOptions)
        {
            _t = t;
            _audience = audience;
            string db = t.F("as.db");
            _asPort = PopiotProcess.FreeUdpPort().ToString(CultureInfo.InvariantCulture);
            Credential = t.F("gw.json");
            Ok("as", "init", "--db", db);
            Ok(["as", "rs", "add", "--db", db, "--audience", audience, "--profile", "coap_dtls", "--key-out", t.F(audience + ".key"), .. rsOptions]);
            Ok("as", "client", "add", "--db", db, "--client-id", "gw", "--profile", "coap_dtls", "--credential-out", Credential, "--as-uri", "coap://127.0.0.1:" + _asPort);
            Ok("as", "grant", "--db", db, "--client", "gw", "--audience", audience, "--scope", """[["/temp",1]]""");
            _as = PopiotProcess.Start("listening on", false, "as", "serve", "--db", db, "--bind", "127.0.0.1", "--port", _asPort);
        }

        public string Credential { get; }

        public PopiotProcess StartDevice(string? rpkKey) => PopiotProcess.Start(
            "listening on",
            false,
            ["device", "simulate", "--audience", _audience, "--as-key", "@" + _t.F(_audience + ".key"), "--as-uri", "coap://127.0.0.1:" + _asPort + "/token",
                "--port", PortPair(), "--profile", "dtls", "--duration", "120", .. rpkKey == null ? Array.Empty<string>() : ["--rpk-key", rpkKey]]);

        public void Dispose() => _as.Dispose();

        // The gateway finds coaps on the CoAP port + 1 (RFC 7252 §6.1, §6.2: 5683 and 5684), so both must be free.
        private static string PortPair()
        {
            for (int attempt = 0; ; attempt++)
            {
                int port = PopiotProcess.FreeUdpPort();
                try
                {
                    using var next = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port + 1));
                    return port.ToString(CultureInfo.InvariantCulture);
                }
                catch (System.Net.Sockets.SocketException) when (attempt < 20)
                {
                }
            }
        }
    }

    // `popiot ARGS` as a process of its own, run to its end.
    private sealed record Gateway(int ExitCode, string Out, string Error)
    {
        public static Gateway Run(params string[] args)
        {
            var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "PopIoT.Cli.dll"), .. args])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using Process p = Process.Start(info) ?? throw new InvalidOperationException("could not start popiot");
            Task<string> stdout = p.StandardOutput.ReadToEndAsync();
            Task<string> stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(TimeSpan.FromSeconds(90)))
            {
                p.Kill(true);
                throw new TimeoutException("popiot " + string.Join(' ', args) + " did not end within 90 s: " + stdout.Result + stderr.Result);
            }

            return new Gateway(p.ExitCode, stdout.Result, stderr.Result);
        }

        public override string ToString() => "exit " + ExitCode + "\nstdout: " + Out + "\nstderr: " + Error;
    }
}
