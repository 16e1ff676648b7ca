using PopIoT.Core.Cose;

namespace PopIoT.Cli;

/// <summary>The keys of a repeated key option; disposing the set erases them all.</summary>
internal sealed class CliKeySet : IDisposable
{
    public List<CoseKey> Keys { get; } = [];

    /// <summary>Where each key came from ("--as-key @FILE", "--as-key #2"), for error messages; never the key bytes.</summary>
    public List<string> Names { get; } = [];

    public void Dispose()
    {
        foreach (CoseKey k in Keys)
        {
            k.Dispose();
        }

        Keys.Clear();
        Names.Clear();
    }
}
