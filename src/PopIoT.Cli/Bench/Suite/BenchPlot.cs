using System.Globalization;
using System.Text.Json;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace PopIoT.Cli.Bench.Suite;

/// <summary>
/// <c>popiot bench plot</c>: SVG charts from the suite's JSON lines, drawn with OxyPlot.Core, whose SVG exporter is
/// managed code (text measured by its PDF context), so it runs headless on Linux with no native library
/// (docs/benchmarks.md says why this library). One chart per question: throughput against concurrency with libcoap beside
/// popiot, latency percentiles, the cost of protection, CoAP over DTLS, memory per board. A chart whose figures are missing is left out
/// and said so; each chart's subtitle names the generator and the run's mode.
/// </summary>
internal static class BenchPlot
{
    private const double Width = 960;
    private const double Height = 480;

    /// <summary>Writes the charts for <paramref name="records"/> into <paramref name="outDir"/>; returns their file names.</summary>
    public static IReadOnlyList<string> Write(IEnumerable<Dictionary<string, object?>> records, string outDir, TextWriter log)
    {
        List<JsonElement> all = records.Select(r => JsonDocument.Parse(SuiteRun.Serialize(r)).RootElement).ToList();
        return Write(all, outDir, log);
    }

    /// <summary>Reads a results.jsonl and writes its charts; a line that is not JSON is a usage error naming it.</summary>
    public static IReadOnlyList<string> WriteFromFile(string resultsFile, string outDir, TextWriter log)
    {
        var all = new List<JsonElement>();
        int n = 0;
        foreach (string line in File.ReadLines(resultsFile))
        {
            n++;
            if (line.Trim().Length == 0)
            {
                continue;
            }

            JsonElement e;
            try
            {
                e = JsonDocument.Parse(line).RootElement;
            }
            catch (JsonException x)
            {
                throw new CliUsageException(resultsFile + " line " + n + " is not JSON: " + x.Message);
            }

            if (e.ValueKind != JsonValueKind.Object)
            {
                throw new CliUsageException(resultsFile + " line " + n + " is " + e.ValueKind.ToString().ToLowerInvariant() + ", not a JSON object");
            }

            all.Add(e);
        }

        return Write(all, outDir, log);
    }

    private static IReadOnlyList<string> Write(List<JsonElement> all, string outDir, TextWriter log)
    {
        Directory.CreateDirectory(outDir);
        JsonElement info = all.FirstOrDefault(r => Str(r, "kind") == "run-info");
        // The mode and the machine go into every subtitle, so a chart shown alone still says what made it.
        string mode = (Str(info, "mode") ?? "?") + " run" + (Str(info, "cpu") is string cpu ? " on " + (cpu.Length > 40 ? cpu[..40] : cpu) + ", " + N(Num(info, "cores")) + " cores" : string.Empty)
            + (Str(info, "started_utc") is string at && at.Length >= 10 ? ", " + at[..10] : string.Empty);
        List<JsonElement> figures = all.Where(r => Str(r, "kind") == SuiteRecord.Figure).ToList();
        var written = new List<string>();
        void Save(string name, PlotModel? model, string what)
        {
            if (model == null)
            {
                log.WriteLine("bench plot: " + name + " left out: no " + what + " figures in the results");
                return;
            }

            model.Background = OxyColors.White;
            model.DefaultFont = "Arial";
            model.TitleHorizontalAlignment = TitleHorizontalAlignment.CenteredWithinView;
            using (FileStream f = File.Create(Path.Combine(outDir, name)))
            {
                // The vertical-alignment workaround places text by its baseline, which every SVG viewer honours.
                SvgExporter.Export(model, f, Width, Height, true, new RoomyTextMeasurer(), true);
            }

            written.Add(name);
        }

        Save("coap-throughput.svg", Throughput(figures.Where(f => Str(f, "comparison") == "coap-get").ToList(), "Plain CoAP GET throughput: popiot and libcoap", mode), "coap-get");
        Save("coap-latency.svg", Latency(figures.Where(f => Str(f, "comparison") == "coap-get").ToList(), "Plain CoAP GET latency percentiles (closed loop)", mode), "coap-get");
        Save("coap-latency-fixed-rate.svg", Latency(figures.Where(f => Str(f, "comparison") == "coap-get-fixed-rate").ToList(), "Plain CoAP GET latency at a fixed request rate (same offered load)", mode), "coap-get-fixed-rate");
        Save("protection-cost.svg", Throughput(figures.Where(f => Str(f, "comparison") == "oscore-get").ToList(), "The cost of protection: OSCORE GET against plain GET", mode), "oscore-get");
        Save("dtls-throughput.svg", Throughput(figures.Where(f => Str(f, "comparison") == "dtls-get" && Num(f, "concurrency") > 0).ToList(), "CoAP over DTLS GET throughput (PSK, AES-128-CCM-8): popiot and libcoap", mode), "dtls-get");
        Save("device-memory.svg", Memory(figures.Where(f => Str(f, "comparison") == "device-budget").ToList(), mode), "device-budget");
        return written;
    }

    private static PlotModel? Throughput(List<JsonElement> figures, string title, string mode)
    {
        if (figures.Count == 0)
        {
            return null;
        }

        var model = new PlotModel { Title = title, Subtitle = Subtitle(figures, mode) };
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.TopLeft, LegendBackground = OxyColor.FromAColor(220, OxyColors.White) });
        model.Axes.Add(new LogarithmicAxis { Position = AxisPosition.Bottom, Base = 2, Title = "concurrent clients", MajorGridlineStyle = LineStyle.Dot });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "requests/s (median of rounds)", Minimum = 0, MajorGridlineStyle = LineStyle.Dot, StringFormat = "#,0" });
        foreach (var group in figures.GroupBy(f => Str(f, "series") + "/" + Str(f, "generator")))
        {
            var line = new LineSeries { Title = Label(group.First()), MarkerType = MarkerType.Circle, MarkerSize = 4 };
            foreach (JsonElement f in group.OrderBy(f => Num(f, "concurrency")))
            {
                line.Points.Add(new DataPoint(Num(f, "concurrency"), Num(f, "requests_per_s")));
            }

            model.Series.Add(line);
        }

        return model;
    }

    private static PlotModel? Latency(List<JsonElement> figures, string title, string mode)
    {
        if (figures.Count == 0)
        {
            return null;
        }

        var model = new PlotModel { Title = title, Subtitle = Subtitle(figures, mode), PlotMargins = new OxyThickness(320, double.NaN, double.NaN, double.NaN) };
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.BottomRight });
        var categories = new CategoryAxis { Position = AxisPosition.Left, GapWidth = 0.4 };
        var ordered = figures.OrderBy(f => Str(f, "generator"), StringComparer.Ordinal).ThenBy(f => Num(f, "concurrency")).ThenBy(f => Str(f, "series"), StringComparer.Ordinal).ToList();
        foreach (JsonElement f in ordered)
        {
            categories.Labels.Add(Label(f) + ", " + Num(f, "concurrency").ToString(CultureInfo.InvariantCulture) + " clients"
                + (Num(f, "rate") > 0 ? " at " + N(Num(f, "rate")) + "/s" : string.Empty));
        }

        model.Axes.Add(categories);
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "latency, ms (median of rounds)", Minimum = 0, MajorGridlineStyle = LineStyle.Dot });
        foreach (string p in new[] { "p50", "p90", "p99" })
        {
            var bars = new BarSeries { Title = p };
            foreach (JsonElement f in ordered)
            {
                bars.Items.Add(new BarItem(Num(f, "latency_ms_" + p)));
            }

            model.Series.Add(bars);
        }

        return model;
    }

    private static PlotModel? Memory(List<JsonElement> figures, string mode)
    {
        if (figures.Count == 0)
        {
            return null;
        }

        // The heaps differ by two orders of magnitude between boards, so the bars show the share used, and the labels the bytes.
        var model = new PlotModel
        {
            Title = "Device managed heap per board (nanoFramework layout)",
            Subtitle = "popiot device budget; " + mode,
            PlotMargins = new OxyThickness(370, double.NaN, double.NaN, double.NaN),
        };
        var categories = new CategoryAxis { Position = AxisPosition.Left, GapWidth = 0.5 };
        var used = new BarSeries { Title = "engine / heap share", LabelFormatString = "{0:0} %", LabelPlacement = LabelPlacement.Outside };
        foreach (JsonElement f in figures)
        {
            double share = Num(f, "share_bytes");
            categories.Labels.Add(Str(f, "series") + ", " + N(Num(f, "slots")) + " slots: " + N(Num(f, "total_bytes")) + " of " + N(share) + " B");
            used.Items.Add(new BarItem(share > 0 ? 100 * Num(f, "total_bytes") / share : 0));
        }

        model.Axes.Add(categories);
        double max = used.Items.Max(i => i.Value);
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "the engine with all its slots, % of the heap share PopIoT may use", Minimum = 0, Maximum = Math.Max(120, max * 1.15), MajorGridlineStyle = LineStyle.Dot });
        model.Series.Add(used);
        model.Annotations.Add(new OxyPlot.Annotations.LineAnnotation { Type = OxyPlot.Annotations.LineAnnotationType.Vertical, X = 100, Color = OxyColors.DarkRed, Text = "share", LineStyle = LineStyle.Dash });
        return model;
    }

    private static string N(double v) => v.ToString("#,0", CultureInfo.InvariantCulture);

    // Short names in the charts; the summary table keeps the full series names.
    private static string Label(JsonElement f)
    {
        string series = Str(f, "series") switch
        {
            CoapGetComparison.Libcoap => "libcoap",
            CoapGetComparison.Popiot => "popiot",
            OscoreGetComparison.Plain => "popiot plain",
            OscoreGetComparison.Protected => "popiot OSCORE",
            OscoreGetComparison.ProtectedManaged => "popiot OSCORE, managed AES-CCM",
            DtlsComparison.Libcoap => "libcoap coap-server-openssl",
            DtlsComparison.Popiot => "popiot coaps",
            string other => other,
            null => "?",
        };
        return series + (Str(f, "generator") == Generators.PythonStdlib ? " (Python generator)" : " (our client)");
    }

    private static string Subtitle(List<JsonElement> figures, string mode) =>
        "generators: " + string.Join(", ", figures.Select(f => Str(f, "generator")).Distinct()) + "; " + mode
        + (mode.StartsWith("quick", StringComparison.Ordinal) ? " (few requests, one round: noisy)" : string.Empty);

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    // A field that is missing or not a finite number plots as 0: the chart shows the gap instead of failing.
    private static double Num(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && double.IsFinite(d) ? d : 0;

    /// <summary>
    /// OxyPlot measures SVG text with its PDF context's Helvetica metrics; viewers without Helvetica or Arial draw a wider
    /// sans-serif (DejaVu Sans, the usual fallback on Linux, up to half as wide again), so labels and legends get that much more room.
    /// </summary>
    private sealed class RoomyTextMeasurer() : PdfRenderContext(Width, Height, OxyColors.White)
    {
        public override OxySize MeasureText(string text, string fontFamily, double fontSize, double fontWeight)
        {
            OxySize s = base.MeasureText(text, fontFamily, fontSize, fontWeight);
            return new OxySize(s.Width * 1.5, s.Height);
        }
    }
}
