namespace PopIoT.Cli.Bench.Suite;

/// <summary>
/// The sizes of one <c>popiot bench suite</c> run. Full: 5 to 9 minutes on 2 cores (docs/benchmarks.md: at most 15);
/// quick: under a minute (allowed 3), for CI's smoke test and a first look. Quick figures are noisy by design
/// and are labelled with their mode in every record.
/// </summary>
internal sealed record SuiteSettings(
    string Mode,
    int Rounds,
    int CoapRequests,
    int CoapWarmup,
    int[] Concurrency,
    int AceFirst,
    int AceLater,
    int AsTokensOneClient,
    int AsBatches32,
    int AsFleetRequests,
    int FixedRate,
    int FixedRateSeconds,
    int DtlsHandshakes,
    string[] BenchmarkDotNetJob)
{
    public static SuiteSettings Full { get; } = new(
        "full", Rounds: 5, CoapRequests: 15_000, CoapWarmup: 1_500, Concurrency: [1, 8, 32], AceFirst: 50, AceLater: 2_000,
        AsTokensOneClient: 500, AsBatches32: 40, AsFleetRequests: 10_000, FixedRate: 5_000, FixedRateSeconds: 4, DtlsHandshakes: 1_000,
        BenchmarkDotNetJob: ["--launchCount", "1", "--warmupCount", "6", "--iterationCount", "20", "--iterationTime", "250"]);

    public static SuiteSettings Quick { get; } = new(
        "quick", Rounds: 1, CoapRequests: 2_000, CoapWarmup: 300, Concurrency: [1, 8, 32], AceFirst: 5, AceLater: 200,
        AsTokensOneClient: 60, AsBatches32: 4, AsFleetRequests: 1_000, FixedRate: 2_000, FixedRateSeconds: 1, DtlsHandshakes: 40,
        BenchmarkDotNetJob: ["--launchCount", "1", "--warmupCount", "1", "--iterationCount", "3", "--iterationTime", "100"]);
}
