using System.Text.Json;

namespace PopIoT.Cli.Bench.Suite;

/// <summary>The state of one suite run: its settings, a scratch folder, the records so far and their JSON-lines file.</summary>
internal sealed class SuiteRun
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };
    private readonly TextWriter _lines;
    private readonly List<Dictionary<string, object?>> _records = [];

    public SuiteRun(SuiteSettings settings, TextWriter lines, SuiteProgress progress, string scratch)
    {
        Settings = settings;
        _lines = lines;
        Progress = progress;
        Scratch = scratch;
    }

    public SuiteSettings Settings { get; }

    public SuiteProgress Progress { get; }

    /// <summary>A folder deleted after the run (temporary databases, the generator script, BenchmarkDotNet's artifacts).</summary>
    public string Scratch { get; }

    public IReadOnlyList<Dictionary<string, object?>> Records => _records;

    /// <summary>Writes one record as a JSON line at once (so a cut run keeps what it measured).</summary>
    public void Emit(Dictionary<string, object?> record)
    {
        if (!record.ContainsKey("mode"))
        {
            record["mode"] = Settings.Mode;
        }

        _records.Add(record);
        _lines.WriteLine(JsonSerializer.Serialize(record, Json));
        _lines.Flush();
    }

    public static string Serialize(Dictionary<string, object?> record) => JsonSerializer.Serialize(record, Json);
}
