using PopIoT.Interop.Tests.Peers;
using Xunit;

namespace PopIoT.Interop.Tests;

/// <summary>
/// The harness of the DTLS interop tests checked without PopIoT: openssl s_client and gnutls-cli, fed a CoAP GET built by
/// <see cref="RawCoap"/>, get libcoap's answer through <see cref="StdioPeer"/>. When a PopIoT interop test fails, these
/// passing show the fault is not in the peers' incantations or in the harness.
/// </summary>
public sealed class DtlsPeerHarnessTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    // libcoap's -k takes the key as text; the DTLS peers take its bytes in hex.
    private const string LibcoapKey = "harnessKey1";

    private static string KeyHex => Convert.ToHexStringLower(System.Text.Encoding.ASCII.GetBytes(LibcoapKey));

    private static string? LibcoapOpensslMissing =>
        PeerRequirement.FindOnPath("coap-server-openssl") == null ? "libcoap's coap-server-openssl is not on PATH (apt-get install libcoap3-bin)" : null;

    [SkippableFact]
    public async Task Openssl_s_client_carries_a_raw_coap_get_to_libcoap_and_prints_the_raw_response()
    {
        PeerRequirement.Require(DtlsPeers.OpensslMissing ?? LibcoapOpensslMissing);
        (StdioPeer server, int dtlsPort) = await StartLibcoapAsync();
        using StdioPeer _ = server;
        using StdioPeer client = StdioPeer.Start(
            "openssl", "s_client", "-dtls1_2", "-psk", KeyHex, "-psk_identity", "harness", "-cipher", DtlsPeers.OpensslCipher,
            "-connect", "127.0.0.1:" + DtlsPeers.Text(dtlsPort), "-quiet", "-nocommands");

        var coap = new RawCoapExchanges(client, stream: false);
        await AssertTimeAnsweredAsync(coap);
        await AssertTimeAnsweredAsync(coap);
    }

    [SkippableFact]
    public async Task Gnutls_cli_carries_a_raw_coap_get_to_libcoap_and_prints_the_raw_response()
    {
        PeerRequirement.Require(DtlsPeers.GnutlsMissing ?? LibcoapOpensslMissing);
        (StdioPeer server, int dtlsPort) = await StartLibcoapAsync();
        using StdioPeer _ = server;
        using StdioPeer client = StdioPeer.Start(
            "gnutls-cli", "--udp", "--priority", DtlsPeers.GnutlsPriority, "--pskusername", "harness", "--pskkey", KeyHex,
            "-p", DtlsPeers.Text(dtlsPort), "127.0.0.1");
        await client.WaitForTextAsync(DtlsPeers.GnutlsCliReady, Limit);
        Assert.Contains("(AES-128-CCM-8)", client.OutputText, StringComparison.Ordinal);

        await AssertTimeAnsweredAsync(new RawCoapExchanges(client, stream: true));
    }

    // libcoap's /time is "Mon dd HH:MM:SS", 15 bytes (what frames it for gnutls-cli, which writes byte by byte).
    private static async Task AssertTimeAnsweredAsync(RawCoapExchanges coap)
    {
        RawCoap response = await coap.RequestAsync(RawCoap.CodeOf(0, 1), "/time", [], r => r.Payload.Length == 15);
        Assert.Equal("2.05", response.CodeText);
        Assert.Matches(@"^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d$", System.Text.Encoding.ASCII.GetString(response.Payload));
    }

    // libcoap's coap-server listens for DTLS on its CoAP port + 1 and prints nothing when ready: wait until it holds the port.
    private static async Task<(StdioPeer Server, int DtlsPort)> StartLibcoapAsync()
    {
        int port = DtlsPeers.FreePortPair();
        StdioPeer server = StdioPeer.Start("coap-server-openssl", "-A", "127.0.0.1", "-p", DtlsPeers.Text(port), "-k", LibcoapKey, "-v", "0");
        await DtlsPeers.WaitBoundAsync(port + 1, server, Limit);
        return (server, port + 1);
    }
}
