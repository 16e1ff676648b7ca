using PopIoT.Cli.Coap;

namespace PopIoT.Cli.Bench.Suite;

/// <summary>
/// Plain CoAP GET of <c>/time</c>: <c>popiot coap serve</c> against libcoap's <c>coap-server-notls</c>, each a child
/// process on 127.0.0.1, at every concurrency of the settings, measured by both generators (ours and the independent
/// Python one). Target (docs/benchmarks.md): popiot at least 1.5× libcoap's throughput at 8 and 32 clients; DESIGN.md §8 asks
/// for at least 1×.
/// </summary>
internal sealed class CoapGetComparison : ISuiteComparison
{
    public const string Popiot = "popiot-coap-serve";
    public const string Libcoap = "libcoap-coap-server-notls";

    public string Id => "coap-get";

    public string Title => "Plain CoAP GET: popiot against libcoap";

    public IReadOnlyList<string> Series => [Libcoap, Popiot];

    public int Steps(SuiteSettings settings) => 2 * settings.Concurrency.Length * settings.Rounds * 2;

    public static string? LibcoapMissing() =>
        Generators.FindOnPath("coap-server-notls") == null ? "libcoap's coap-server-notls is not on PATH (apt-get install libcoap3-bin)" : null;

    public async Task RunAsync(SuiteRun run)
    {
        string? noLibcoap = LibcoapMissing();
        string? noPython = Generators.PythonMissing();
        using CoapServerProcess ours = CoapServerProcess.StartOurs();
        using CoapServerProcess? libcoap = noLibcoap == null ? CoapServerProcess.StartLibcoap() : null;
        await ours.WaitReadyAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        if (libcoap != null)
        {
            await libcoap.WaitReadyAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }

        string script = Generators.WriteScript(run.Scratch);
        foreach (string generator in new[] { Generators.PopiotClient, Generators.PythonStdlib })
        {
            if (generator == Generators.PythonStdlib && noPython != null)
            {
                run.Emit(SuiteRecord.Missing(Id, Popiot, generator, noPython));
                run.Emit(SuiteRecord.Missing(Id, Libcoap, generator, noPython));
                SkipSteps(run, generator, noPython);
                continue;
            }

            LoadSeries Make(CoapServerProcess p, string name) => generator == Generators.PopiotClient
                ? Generators.Popiot(name, p.Uri("/time"))
                : Generators.Python(name, script, p.Port, "/time");

            var series = new List<LoadSeries>();
            LoadSeries? baseline = null;
            if (libcoap != null)
            {
                baseline = Make(libcoap, Libcoap);
                series.Add(baseline);
            }
            else
            {
                run.Emit(SuiteRecord.Missing(Id, Libcoap, generator, noLibcoap!));
            }

            series.Add(Make(ours, Popiot));
            ServerComparison.Target[] targets = [new(Popiot, Libcoap, 1.5)];
            await ServerComparison.MeasureAsync(run, Id, series, baseline, targets).ConfigureAwait(false);
            if (libcoap == null)
            {
                SkipSteps(run, generator + " against libcoap", noLibcoap!, run.Settings.Concurrency.Length * run.Settings.Rounds);
            }
        }
    }

    private void SkipSteps(SuiteRun run, string what, string reason, int? count = null)
    {
        int n = count ?? 2 * run.Settings.Concurrency.Length * run.Settings.Rounds;
        run.Progress.Note(Id + ": " + what + " not measured: " + reason);
        for (int i = 0; i < n; i++)
        {
            run.Progress.Step(Id + ": skipped (" + reason + ")");
        }
    }
}
