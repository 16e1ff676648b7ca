using Xunit;

namespace PopIoT.Core.Tests.Ace;

/// <summary>Tests that read process-wide GC counters run alone (xUnit runs other collections in parallel).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AceSerialCollection
{
    /// <summary>The collection name.</summary>
    public const string Name = "Ace serial (GC measurements)";
}
