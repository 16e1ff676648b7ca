using System.Diagnostics;
using PopIoT.Interop.Tests.Peers;
using Xunit;
using static PopIoT.Interop.Tests.PopIotProcesses;

namespace PopIoT.Interop.Tests;

/// <summary>
/// tshark (Wireshark 4.0, a DTLS and CoAP decoder nobody here wrote) captures <c>popiot coap get|put coaps://</c> talking
/// to <c>popiot coap serve --psk-file</c> live on loopback and decrypts it given the pre-shared key (<c>-o dtls.psk:HEX</c>;
/// plain PSK suites derive every key from it and the handshake's randoms). On a port other than 5684 tshark must be told
/// that the records carry CoAP (<c>-d dtls.port==PORT,coap</c>); it finds DTLS on UDP by itself (its heuristic dissector).
/// </summary>
public sealed class DtlsTsharkTests : TempDirectoryTest
{
    private const string KeyHex = "c0ffee00c0ffee00c0ffee00c0ffee00";

    [SkippableFact]
    public void Tshark_decrypts_a_live_capture_of_popiot_over_coaps_and_shows_the_inner_requests()
    {
        PeerRequirement.Require(DtlsPeers.TsharkMissing ?? DtlsPeers.CaptureMissing);
        using PopiotServe serve = PopiotServe.Start(Dir, ("tshark-demo", KeyHex));
        string port = Text(serve.DtlsPort), pcap = F("coaps.pcapng");

        using Process capture = Start("tshark", "-i", "lo", "-f", "udp port " + port, "-w", pcap, "-a", "duration:90");
        WaitForLine(capture.StandardError, "Capturing on", TimeSpan.FromSeconds(30));

        var put = Popiot("coap", "put", serve.SecureUri("/store"), "-e", "hello-over-dtls", "--psk-identity", "tshark-demo", "--psk", KeyHex);
        var get = Popiot("coap", "get", serve.SecureUri("/store"), "--psk-identity", "tshark-demo", "--psk", KeyHex);
        Assert.True(put.Code == 0, put.Output + put.Error);
        Assert.True(get.Code == 0, get.Output + get.Error);
        Assert.Contains("hello-over-dtls", get.Output, StringComparison.Ordinal);

        // The capture is written as it goes, but not at once: wait until the four application_data records (the PUT, the
        // GET and their answers) are in the file, then stop it.
        var waited = Stopwatch.StartNew();
        while (Run("tshark", "-r", pcap, "-Y", "dtls.record.content_type == 23").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length < 4)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(60), "the capture did not get the four application_data records");
        }

        Interrupt(capture);

        // Without the key: DTLS records of the CCM_8 suite, no CoAP message decoded, none of the plaintext.
        var sealedView = Run("tshark", "-r", pcap, "-d", "dtls.port==" + port + ",coap", "-V");
        Assert.True(sealedView.Code == 0, sealedView.Error);
        Assert.Contains("Datagram Transport Layer Security", sealedView.Output, StringComparison.Ordinal);
        Assert.Contains("Cipher Suite: TLS_PSK_WITH_AES_128_CCM_8 (0xc0a8)", sealedView.Output, StringComparison.Ordinal);
        Assert.Contains("Encrypted Application Data", sealedView.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Constrained Application Protocol, Confirmable", sealedView.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Uri-Path", sealedView.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("hello-over-dtls", sealedView.Output, StringComparison.Ordinal);

        // With it: the inner requests, method and Uri-Path, and the payloads both ways.
        var rows = Run("tshark", "-r", pcap, "-o", "dtls.psk:" + KeyHex, "-d", "dtls.port==" + port + ",coap", "-Y", "coap",
            "-T", "fields", "-E", "separator=|", "-e", "coap.type", "-e", "coap.code", "-e", "coap.opt.uri_path_recon", "-e", "data.data");
        Assert.True(rows.Code == 0, rows.Error);
        string[][] coap = rows.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(r => r.Split('|')).ToArray();
        string hello = Convert.ToHexStringLower("hello-over-dtls"u8);
        Assert.Contains(coap, r => r[0] == "0" && r[1] == "3" && r[2] == "/store" && r[3].Contains(hello, StringComparison.Ordinal));  // CON PUT /store
        Assert.Contains(coap, r => r[0] == "0" && r[1] == "1" && r[2] == "/store");  // CON GET /store
        Assert.Contains(coap, r => r[0] == "2" && r[1] == "69" && r[3].Contains(hello, StringComparison.Ordinal));  // ACK 2.05 with the body

        var verbose = Run("tshark", "-r", pcap, "-o", "dtls.psk:" + KeyHex, "-d", "dtls.port==" + port + ",coap", "-Y", "coap.code == 1", "-V");
        Assert.Contains("Code: GET (1)", verbose.Output, StringComparison.Ordinal);
        Assert.Contains("Uri-Path: store", verbose.Output, StringComparison.Ordinal);
        Assert.Contains("[Application Data Protocol: Constrained Application Protocol]", verbose.Output, StringComparison.Ordinal);
    }
}
