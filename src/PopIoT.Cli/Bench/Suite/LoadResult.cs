namespace PopIoT.Cli.Bench.Suite;

/// <summary>What one load run measured: requests answered with 2.xx (<see cref="Ok"/>), errors (timeouts, other codes)
/// and latency percentiles in milliseconds.</summary>
internal sealed record LoadResult(int Ok, int Errors, double Seconds, double P50, double P90, double P99, double Max)
{
    public double RequestsPerSecond => Seconds > 0 ? Ok / Seconds : 0;
}

/// <summary>A series of a server comparison: one server reached by one generator.</summary>
/// <param name="Name">The <c>series</c> field, e.g. <c>libcoap-coap-server-notls</c>.</param>
/// <param name="Generator">The <c>generator</c> field: <c>popiot-client</c> or <c>python-stdlib</c>.</param>
/// <param name="Run">Runs (concurrency, requests, warm-up requests) and returns what it measured.</param>
internal sealed record LoadSeries(string Name, string Generator, Func<int, int, int, Task<LoadResult>> Run);
