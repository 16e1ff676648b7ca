using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PopIoT.AuthorizationServer;

/// <summary>
/// The AS's metrics, on the <see cref="Meter"/> "PopIoT.AuthorizationServer" (System.Diagnostics.Metrics). The library
/// only records; a host that wants them exports the meter (`popiot as serve --prometheus URL` with the OpenTelemetry
/// SDK, docs/authorization-server.md "Metrics"). Names, units and attributes follow the OpenTelemetry semantic
/// conventions where one exists (durations in seconds, <c>error.type</c>, <c>db.client.operation.duration</c>); the rest
/// live under <c>popiot.as.</c>. No attribute names a client, an audience or a token, so their number stays small.
/// </summary>
public static class AuthorizationServerMetrics
{
    /// <summary>The meter's name, for <c>AddMeter</c>.</summary>
    public const string MeterName = "PopIoT.AuthorizationServer";

    /// <summary>The attribute naming the endpoint of a request: "token" or "introspect".</summary>
    public const string EndpointAttribute = "popiot.as.endpoint";

    /// <summary>The attribute with the answer of an introspection: "active", "inactive" or "refused".</summary>
    public const string IntrospectionResultAttribute = "popiot.as.introspection.result";

    /// <summary>The semantic conventions' attribute for why an operation failed: here the RFC 9200 error name.</summary>
    public const string ErrorTypeAttribute = "error.type";

    // Seconds, from 100 µs (an introspection) to 10 s (a stalled commit); the SDK's default buckets are for milliseconds.
    private static readonly double[] DurationBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Issued = Meter.CreateCounter<long>(
        "popiot.as.token.issued", "{token}", "Access tokens issued and stored (RFC 9200 §5.8.2).");

    private static readonly Counter<long> Refused = Meter.CreateCounter<long>(
        "popiot.as.token.refused", "{request}", "Token requests refused, by error.type: the RFC 9200 §5.8.3 error, or the exception when storing failed.");

    private static readonly Counter<long> Introspections = Meter.CreateCounter<long>(
        "popiot.as.introspection", "{request}", "Introspection requests (RFC 9200 §5.9), by popiot.as.introspection.result.");

    private static readonly Histogram<double> RequestDuration = Meter.CreateHistogram(
        "popiot.as.request.duration", "s", "Time the AS spends on a /token or /introspect request once OSCORE verified it, the durable commit of a token included.",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    private static readonly Histogram<double> CommitDuration = Meter.CreateHistogram(
        "db.client.operation.duration", "s", "Duration of one group commit of issued tokens: every insert of the batch and the durable COMMIT.",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    private static readonly Histogram<int> CommitBatch = Meter.CreateHistogram(
        "popiot.as.commit.batch.size", "{token}", "Tokens stored by one group commit.",
        tags: null, advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256] });

    /// <summary>Counts a token issued and stored.</summary>
    public static void TokenIssued() => Issued.Add(1);

    /// <summary>Counts a refused token request.</summary>
    /// <param name="errorType">The RFC 9200 error name (e.g. "invalid_scope"), or the exception's type.</param>
    public static void TokenRefused(string errorType) => Refused.Add(1, new KeyValuePair<string, object?>(ErrorTypeAttribute, errorType));

    /// <summary>Counts an introspection request.</summary>
    /// <param name="result">"active", "inactive", or "refused".</param>
    /// <param name="errorType">For a refused one, the RFC 9200 error name; otherwise null.</param>
    public static void Introspection(string result, string? errorType)
    {
        var tags = new TagList { { IntrospectionResultAttribute, result } };
        if (errorType != null)
        {
            tags.Add(ErrorTypeAttribute, errorType);
        }

        Introspections.Add(1, tags);
    }

    /// <summary>Records how long an endpoint took for one request.</summary>
    /// <param name="endpoint">"token" or "introspect".</param>
    /// <param name="elapsed">The time taken.</param>
    /// <param name="errorType">The error answered, or null for a 2.01 with a result.</param>
    public static void Request(string endpoint, TimeSpan elapsed, string? errorType)
    {
        var tags = new TagList { { EndpointAttribute, endpoint } };
        if (errorType != null)
        {
            tags.Add(ErrorTypeAttribute, errorType);
        }

        RequestDuration.Record(elapsed.TotalSeconds, tags);
    }

    /// <summary>Records one group commit of issued tokens.</summary>
    /// <param name="system">The semantic conventions' db.system.name: "sqlite" or "postgresql".</param>
    /// <param name="elapsed">From the start of the transaction to the end of its COMMIT.</param>
    /// <param name="tokens">The rows in the batch.</param>
    /// <param name="errorType">Why the whole commit failed, or null.</param>
    public static void Commit(string system, TimeSpan elapsed, int tokens, string? errorType)
    {
        // db.operation.name is "BATCH INSERT" for a batch (OpenTelemetry database semantic conventions).
        var tags = new TagList { { "db.system.name", system }, { "db.operation.name", "BATCH INSERT" }, { "db.collection.name", "tokens" } };
        if (errorType != null)
        {
            tags.Add(ErrorTypeAttribute, errorType);
        }

        CommitDuration.Record(elapsed.TotalSeconds, tags);
        CommitBatch.Record(tokens, new KeyValuePair<string, object?>("db.system.name", system));
    }
}
