using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using PopIoT.Cli.Coap;

namespace PopIoT.Cli.Bench.Suite;

/// <summary>
/// CoAP over DTLS 1.2 with a pre-shared key (TLS_PSK_WITH_AES_128_CCM_8, RFC 7925 §4.2, RFC 9202): <c>popiot coap serve
/// --psk-file</c> against libcoap's <c>coap-server-openssl -k</c>, both taking DTLS on their CoAP port + 1, reached by
/// the same client (ours: the C peer has no load generator, and Python's standard library has no DTLS).
/// <list type="bullet">
/// <item>The PSK handshake time, the median of <see cref="SuiteSettings.DtlsHandshakes"/> handshakes made alternately
/// with each server by <see cref="DtlsHandshakeTimer"/>; the ratio is ours over libcoap's time (lower is faster).</item>
/// <item>Protected GET /time throughput at each concurrency, each client its own socket and session (the handshake
/// happens in the warm-up); target (docs/benchmarks.md): at least 1.2× libcoap's.</item>
/// </list>
/// </summary>
internal sealed class DtlsComparison : ISuiteComparison
{
    public const string Libcoap = "libcoap-coap-server-openssl";
    public const string Popiot = "popiot-dtls";
    public const string PopiotHandshake = "popiot-dtls-handshake";
    public const string LibcoapHandshake = "libcoap-dtls-handshake";

    // libcoap 4.3's -k takes the key as text; ours, its bytes in hex: the same 16 ASCII bytes for both.
    private const string KeyText = "popiot-bench-psk";
    private const string IdentityText = "popiot-bench";

    public string Id => "dtls-get";

    public string Title => "DTLS-protected GET and the PSK handshake: popiot against libcoap (openssl)";

    public IReadOnlyList<string> Series => [Libcoap, Popiot, LibcoapHandshake, PopiotHandshake];

    public int Steps(SuiteSettings settings) => 2 + (2 * settings.Concurrency.Length * settings.Rounds);

    public static string? LibcoapMissing() =>
        Generators.FindOnPath("coap-server-openssl") == null ? "libcoap's coap-server-openssl is not on PATH (apt-get install libcoap3-bin)" : null;

    public async Task RunAsync(SuiteRun run)
    {
        byte[] identity = System.Text.Encoding.ASCII.GetBytes(IdentityText);
        byte[] key = System.Text.Encoding.ASCII.GetBytes(KeyText);
        string pskFile = Path.Combine(run.Scratch, "bench-psks.json");
        PopIoT.IO.SecretFile.WriteText(pskFile, "{\"" + IdentityText + "\": \"" + Convert.ToHexStringLower(key) + "\"}\n", overwrite: false);
        string? noLibcoap = LibcoapMissing();
        using CoapServerProcess ours = CoapServerProcess.StartOurs(
            "popiot-coap-serve-psk", port => ["coap", "serve", "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--psk-file", pskFile, "--duration", "3600"], null);
        using CoapServerProcess? libcoap = noLibcoap == null ? CoapServerProcess.StartLibcoapOpenssl(KeyText) : null;
        await ours.WaitReadyAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        if (libcoap != null)
        {
            await libcoap.WaitReadyAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        else
        {
            run.Emit(SuiteRecord.Missing(Id, Libcoap, Generators.PopiotClient, noLibcoap!));
            run.Emit(SuiteRecord.Missing(Id, LibcoapHandshake, Generators.PopiotClient, noLibcoap!));
        }

        await HandshakesAsync(run, ours, libcoap, identity, key).ConfigureAwait(false);

        var series = new List<LoadSeries>();
        LoadSeries? baseline = null;
        if (libcoap != null)
        {
            baseline = Secure(Libcoap, libcoap, identity, key);
            series.Add(baseline);
        }

        series.Add(Secure(Popiot, ours, identity, key));
        ServerComparison.Target[] targets = [new(Popiot, Libcoap, 1.2)];
        await ServerComparison.MeasureAsync(run, Id, series, baseline, targets).ConfigureAwait(false);
        if (libcoap == null)
        {
            run.Progress.Note(Id + ": libcoap not measured: " + noLibcoap);
            for (int i = 0; i < run.Settings.Concurrency.Length * run.Settings.Rounds; i++)
            {
                run.Progress.Step(Id + ": skipped (" + noLibcoap + ")");
            }
        }

        CryptographicOperations.ZeroMemory(key);
    }

    private static LoadSeries Secure(string name, CoapServerProcess server, byte[] identity, byte[] key) =>
        Generators.Popiot(name, server.SecureUri("/time"), (_, o) =>
        {
            o.PskIdentity = identity;
            o.Psk = key;
        });

    // Alternating handshakes (ours, libcoap's, ours ...) so that load from elsewhere on the machine falls on both alike.
    private async Task HandshakesAsync(SuiteRun run, CoapServerProcess ours, CoapServerProcess? libcoap, byte[] identity, byte[] key)
    {
        int n = run.Settings.DtlsHandshakes;
        var mine = new List<double>(n);
        var theirs = new List<double>(n);
        var limit = TimeSpan.FromSeconds(10);
        IPEndPoint oursAt = new(IPAddress.Loopback, ours.Port + 1);
        IPEndPoint? libcoapAt = libcoap == null ? null : new IPEndPoint(IPAddress.Loopback, libcoap.Port + 1);
        await WaitSecureReadyAsync(ours.Name, oursAt, identity, key).ConfigureAwait(false);
        if (libcoapAt != null)
        {
            await WaitSecureReadyAsync(libcoap!.Name, libcoapAt, identity, key).ConfigureAwait(false);
        }

        // Warm-up: the JIT, and each server's first session.
        for (int i = 0; i < Math.Max(5, n / 20); i++)
        {
            await DtlsHandshakeTimer.OnceAsync(oursAt, identity, key, limit).ConfigureAwait(false);
            if (libcoapAt != null)
            {
                await DtlsHandshakeTimer.OnceAsync(libcoapAt, identity, key, limit).ConfigureAwait(false);
            }
        }

        for (int i = 0; i < n; i++)
        {
            mine.Add(await DtlsHandshakeTimer.OnceAsync(oursAt, identity, key, limit).ConfigureAwait(false));
            if (libcoapAt != null)
            {
                theirs.Add(await DtlsHandshakeTimer.OnceAsync(libcoapAt, identity, key, limit).ConfigureAwait(false));
            }
        }

        if (libcoapAt != null)
        {
            run.Emit(HandshakeFigure(LibcoapHandshake, theirs, null));
            run.Progress.Step(Id + ": " + n + " handshakes with libcoap, median " + SuiteRecord.Round(SuiteRecord.Median(theirs)) + " ms");
        }
        else
        {
            run.Progress.Step(Id + ": handshakes with libcoap skipped");
        }

        run.Emit(HandshakeFigure(PopiotHandshake, mine, libcoapAt == null ? null : theirs));
        run.Progress.Step(Id + ": " + n + " handshakes with popiot, median " + SuiteRecord.Round(SuiteRecord.Median(mine)) + " ms");
    }

    // A server answering plain CoAP may not have bound its DTLS port yet (both take it just after the CoAP one): until a
    // handshake gets through, a refused one (ICMP port unreachable) or one without an answer is tried again.
    private static async Task WaitSecureReadyAsync(string name, IPEndPoint at, byte[] identity, byte[] key)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await DtlsHandshakeTimer.OnceAsync(at, identity, key, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException && waited.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException)
            {
                throw new CliUsageException(name + " did not complete a DTLS handshake on " + at + " within 30 s: " + e.Message);
            }
        }
    }

    private Dictionary<string, object?> HandshakeFigure(string series, List<double> ms, List<double>? baseline)
    {
        var f = SuiteRecord.Create(SuiteRecord.Figure, Id, series, Generators.PopiotClient);
        f["n"] = ms.Count;
        f["latency_ms_p50"] = SuiteRecord.Round(SuiteRecord.Median(ms));
        f["latency_ms_p90"] = SuiteRecord.Round(SuiteRecord.Quantile(ms, 0.9));
        f["latency_ms_p99"] = SuiteRecord.Round(SuiteRecord.Quantile(ms, 0.99));
        f["handshake"] = "PSK, TLS_PSK_WITH_AES_128_CCM_8, with the cookie exchange";
        if (baseline != null)
        {
            // A time: below 1 is faster than the baseline.
            f["baseline"] = LibcoapHandshake;
            f["ratio"] = SuiteRecord.Round(SuiteRecord.Median(ms) / SuiteRecord.Median(baseline));
        }

        return f;
    }
}
