using Xunit;

namespace PopIoT.Interop.Tests.Peers;

/// <summary>
/// DESIGN.md §7: a test whose peer is missing is skipped with the reason printed, except when
/// CI=true, where a missing peer is a failure (CI installs every peer, so absence is a bug).
/// </summary>
internal static class PeerRequirement
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Skips (or, under CI, fails) the calling test unless <paramref name="missingReason"/> is null.</summary>
    public static void Require(string? missingReason)
    {
        if (missingReason == null)
        {
            return;
        }

        if (InCi)
        {
            Assert.Fail("interop peer missing under CI=true: " + missingReason);
        }

        Skip.If(true, "interop peer missing: " + missingReason + " (run .ci/run, or install it as it does)");
    }

    public static string PeersDir =>
        typeof(PeerRequirement).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "PeersDir").Value!;

    /// <summary>Finds an executable on PATH, or returns null.</summary>
    public static string? FindOnPath(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
