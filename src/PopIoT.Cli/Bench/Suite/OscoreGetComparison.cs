using System.Globalization;
using System.Security.Cryptography;
using PopIoT.Cli.Coap;
using PopIoT.Core.Oscore;

namespace PopIoT.Cli.Bench.Suite;

/// <summary>
/// What protection costs: GET /time protected with OSCORE through popiot, against plain GET /time on the same popiot
/// server process (<c>popiot bench oscore-server</c>) and against libcoap's plain <c>coap-server-notls</c>, in
/// alternating rounds, measured by our client (each client its own OSCORE context). <c>popiot-oscore</c> uses the platform
/// AES-CCM on both ends (the desktop default), <c>popiot-oscore-managed</c> PopIoT.Core's managed one (a board's path
/// without native crypto), whose per-call cost is lower for CoAP-sized messages (docs/benchmarks.md). Targets (docs/benchmarks.md): OSCORE at least
/// 0.8× our plain throughput and at least 1× libcoap's plain throughput. The independent generator cannot speak OSCORE
/// (Python's standard library has no AES-CCM), so its series are recorded as not measured with that reason.
/// </summary>
internal sealed class OscoreGetComparison : ISuiteComparison
{
    public const string Protected = "popiot-oscore";
    public const string ProtectedManaged = "popiot-oscore-managed";
    public const string Plain = "popiot-plain";
    public const string Libcoap = CoapGetComparison.Libcoap;

    public string Id => "oscore-get";

    public string Title => "OSCORE-protected GET: the cost of protection";

    public IReadOnlyList<string> Series => [Libcoap, Plain, Protected, ProtectedManaged];

    public int Steps(SuiteSettings settings) => 4 * settings.Concurrency.Length * settings.Rounds;

    public async Task RunAsync(SuiteRun run)
    {
        int clients = run.Settings.Concurrency.Max();
        byte[][] secrets = Enumerable.Range(0, clients).Select(_ => RandomNumberGenerator.GetBytes(16)).ToArray();
        string stdin = string.Concat(secrets.Select(s => Convert.ToHexString(s) + "\n"));
        string? noLibcoap = CoapGetComparison.LibcoapMissing();
        using CoapServerProcess ours = CoapServerProcess.StartOurs(
            "popiot-bench-oscore-server", port => ["bench", "oscore-server", "--port", port.ToString(CultureInfo.InvariantCulture), "--clients", clients.ToString(CultureInfo.InvariantCulture)], stdin);
        using CoapServerProcess? libcoap = noLibcoap == null ? CoapServerProcess.StartLibcoap() : null;
        await ours.WaitReadyAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        if (libcoap != null)
        {
            await libcoap.WaitReadyAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }

        // Every load run starts new client contexts; the server's recipient contexts carry on, so each run's Sender
        // Sequence Numbers must go on from where the last run of that client stopped (RFC 8613 §7.2.1), or the
        // server's replay window would refuse them. One live context per client, reused across runs, does that.
        var live = secrets.Select((s, i) => OscoreBenchServer.Context(s, i, server: false, managed: false)).ToArray();
        var liveManaged = secrets.Select((s, i) => OscoreBenchServer.Context(s, i, server: false, managed: true)).ToArray();
        foreach (byte[] s in secrets)
        {
            Array.Clear(s);
        }

        try
        {
            var series = new List<LoadSeries>();
            LoadSeries plain = Generators.Popiot(Plain, ours.Uri("/time"));
            if (libcoap != null)
            {
                series.Add(Generators.Popiot(Libcoap, libcoap.Uri("/time")));
            }
            else
            {
                run.Emit(SuiteRecord.Missing(Id, Libcoap, Generators.PopiotClient, noLibcoap!));
            }

            series.Add(plain);
            series.Add(Generators.Popiot(Protected, ours.Uri("/time"), (i, o) => o.Oscore = live[i]));
            series.Add(Generators.Popiot(ProtectedManaged, ours.Uri("/time"), (i, o) => o.Oscore = liveManaged[i]));
            ServerComparison.Target[] targets = [new(Protected, Plain, 0.8), new(Protected, Libcoap, 1.0)];
            await ServerComparison.MeasureAsync(run, Id, series, plain, targets).ConfigureAwait(false);
            string why = "the independent generator cannot protect requests: Python's standard library has no AES-CCM (RFC 8613 §5 needs AES-CCM-16-64-128)";
            run.Emit(SuiteRecord.Missing(Id, Protected, Generators.PythonStdlib, why));
            run.Emit(SuiteRecord.Missing(Id, ProtectedManaged, Generators.PythonStdlib, why));
            if (libcoap == null)
            {
                run.Progress.Note(Id + ": libcoap not measured: " + noLibcoap);
                for (int i = 0; i < run.Settings.Concurrency.Length * run.Settings.Rounds; i++)
                {
                    run.Progress.Step(Id + ": skipped (" + noLibcoap + ")");
                }
            }
        }
        finally
        {
            foreach (SecurityContext c in live.Concat(liveManaged))
            {
                c.Dispose();
            }
        }
    }
}
