namespace PopIoT.Cli.Bench.Suite;

/// <summary>One comparison of the suite: it measures its series in the same run and emits their figures, or
/// <c>not-measured</c> records with the reason (a missing peer, a part not built yet). It never throws for a missing
/// peer; an exception is a failed comparison, recorded as not measured by the suite.</summary>
internal interface ISuiteComparison
{
    /// <summary>The <c>comparison</c> field of its records, e.g. <c>coap-get</c>.</summary>
    string Id { get; }

    /// <summary>The heading of its section in the summary.</summary>
    string Title { get; }

    /// <summary>Every series it reports (figure or not measured), so a summary can show what is missing.</summary>
    IReadOnlyList<string> Series { get; }

    /// <summary>How many progress steps it takes with these settings.</summary>
    int Steps(SuiteSettings settings);

    Task RunAsync(SuiteRun run);
}
