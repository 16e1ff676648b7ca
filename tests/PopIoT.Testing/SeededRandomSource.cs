using System.Globalization;
using PopIoT.Core.Crypto;

namespace PopIoT.Testing;

/// <summary>
/// The one deterministic <see cref="IRandomSource"/> of the tests (never for real keys). Each instance runs on its own
/// seed XOR the run's seed, which is 0 unless the <c>POPIOT_TEST_SEED</c> environment variable sets it, so a run can be
/// varied and a failing one reproduced; <see cref="SeedReportingTestFramework"/> names the run's seed in every failure.
/// </summary>
public sealed class SeededRandomSource : IRandomSource
{
    /// <summary>The environment variable that sets <see cref="RunSeed"/>.</summary>
    public const string Variable = "POPIOT_TEST_SEED";

    private readonly Random _random;

    /// <summary>Creates a source on <paramref name="seed"/> XOR <see cref="RunSeed"/>.</summary>
    public SeededRandomSource(int seed)
    {
        Seed = seed ^ RunSeed;
        _random = new Random(Seed);
    }

    /// <summary>The run's seed: <c>POPIOT_TEST_SEED</c>, or 0.</summary>
    public static int RunSeed { get; } = ReadRunSeed();

    /// <summary>The seed this instance runs on.</summary>
    public int Seed { get; }

    /// <summary>A <see cref="System.Random"/> on <paramref name="seed"/> XOR <see cref="RunSeed"/>, for test data (bodies, fuzz inputs).</summary>
    public static Random NewRandom(int seed) => new(seed ^ RunSeed);

    /// <summary>How to reproduce this run, for failure messages.</summary>
    public static string Describe() =>
        string.Create(CultureInfo.InvariantCulture, $"Test random seed: {Variable}={RunSeed} (set it to rerun with the same or another seed).");

    /// <inheritdoc/>
    public void GetBytes(byte[] buffer, int offset, int count) => _random.NextBytes(buffer.AsSpan(offset, count));

    private static int ReadRunSeed()
    {
        string? value = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(value))
        {
            return 0;
        }

        return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed)
            ? seed
            : throw new FormatException($"{Variable} must be a 32-bit integer, not '{value}'.");
    }
}
