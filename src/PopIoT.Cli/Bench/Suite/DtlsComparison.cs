namespace PopIoT.Cli.Bench.Suite;

/// <summary>
/// DTLS-protected GET throughput at each concurrency and the handshake time, popiot against libcoap's
/// <c>coap-server-openssl</c> (PSK, TLS_PSK_WITH_AES_128_CCM_8; RFC 9202, DESIGN.md §5a). PopIoT has no DTLS yet, so
/// every series is recorded as not measured with that reason; no figure is made up. When DTLS lands, its series run
/// through <see cref="ServerComparison"/> like <see cref="OscoreGetComparison"/>, with libcoap's server started with
/// <c>-k KEY -h HINT</c> and the DTLS handshake timed apart from the GETs.
/// </summary>
internal sealed class DtlsComparison : ISuiteComparison
{
    public const string Reason = "no DTLS yet: the RFC 9202 profile is not built (README status table)";

    public string Id => "dtls-get";

    public string Title => "DTLS-protected GET and handshake: popiot against libcoap (openssl)";

    public IReadOnlyList<string> Series => ["libcoap-coap-server-openssl", "popiot-dtls", "popiot-dtls-handshake", "libcoap-dtls-handshake"];

    public int Steps(SuiteSettings settings) => 1;

    public Task RunAsync(SuiteRun run)
    {
        string peer = Generators.FindOnPath("coap-server-openssl") != null ? "installed" : "not installed (apt-get install libcoap3-bin)";
        foreach (string series in Series)
        {
            var r = SuiteRecord.Missing(Id, series, Generators.PopiotClient, Reason);
            r["peer_coap_server_openssl"] = peer;
            run.Emit(r);
        }

        run.Progress.Step(Id + ": not measured (" + Reason + ")");
        return Task.CompletedTask;
    }
}
