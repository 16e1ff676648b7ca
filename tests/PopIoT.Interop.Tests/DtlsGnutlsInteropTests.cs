using System.Net;
using System.Text;
using PopIoT.Interop.Tests.Peers;
using Xunit;

namespace PopIoT.Interop.Tests;

/// <summary>
/// DTLS 1.2 PSK with GnuTLS (a second TLS stack nobody here wrote), held to PSK key exchange and AES-128-CCM-8 by its
/// priority string: <c>gnutls-cli --udp</c> against <c>popiot coap serve --psk-file</c> (CoAP as raw records through its
/// stdin and stdout), and PopIoT's DTLS client against <c>gnutls-serv --udp --echo</c>, which sends every record back,
/// so the bytes can be compared both ways (gnutls-serv is an echo or HTTP server, not a CoAP one). GnuTLS's password file
/// can name an identity in hex, so an identity with a zero byte inside is tested here.
/// </summary>
public sealed class DtlsGnutlsInteropTests : TempDirectoryTest
{
    private const string KeyHex = DtlsOpensslInteropTests.KeyHex;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [SkippableFact]
    public async Task Gnutls_cli_gets_and_puts_3_KB_blockwise_through_popiot_coap_serve()
    {
        PeerRequirement.Require(DtlsPeers.GnutlsMissing);
        using PopiotServe serve = PopiotServe.Start(Dir, ("gnutls-cli", KeyHex));
        using StdioPeer client = StdioPeer.Start(
            "gnutls-cli", "--udp", "--priority", DtlsPeers.GnutlsPriority, "--pskusername", "gnutls-cli", "--pskkey", KeyHex,
            "-p", DtlsPeers.Text(serve.DtlsPort), "127.0.0.1");
        await client.WaitForTextAsync(DtlsPeers.GnutlsCliReady, Limit);

        // What GnuTLS negotiated with us: DTLS 1.2 (X.509 is only its default certificate type, unused with PSK), plain
        // PSK, AES-128-CCM-8, the extended master secret (RFC 7627), and no identity hint (none is configured).
        Assert.Contains("- Description: (DTLS1.2-X.509)-(PSK)-(AES-128-CCM-8)", client.OutputText, StringComparison.Ordinal);
        Assert.Contains("extended master secret", client.OutputText, StringComparison.Ordinal);
        Assert.DoesNotContain("PSK hint", client.OutputText, StringComparison.Ordinal);

        await DtlsOpensslInteropTests.ExerciseServeAsync(new RawCoapExchanges(client, stream: true), getSzx: 6);
        serve.AssertRunning();
    }

    [SkippableFact]
    public async Task Popiot_dtls_client_records_come_back_byte_for_byte_from_gnutls_serv()
    {
        PeerRequirement.Require(DtlsPeers.GnutlsMissing);
        (StdioPeer server, int port) = await StartEchoAsync(("popiot", Convert.FromHexString(KeyHex)));
        using StdioPeer _ = server;
        using var client = new DtlsDatagramClient(new IPEndPoint(IPAddress.Loopback, port), "popiot"u8.ToArray(), Convert.FromHexString(KeyHex));

        // gnutls-serv echoes a record as a C string (it stops at the first zero byte), so the records here have none:
        // a CoAP GET with no zero byte in its header, 1,000 bytes of random printable text, one byte. It reads at most
        // 254 bytes at a time, so a longer record comes back as several records, joined here.
        byte[] get = RawCoap.Request(RawCoap.CodeOf(0, 1), 0x4242, [0xEE], "/sensors/temp", []).Encode();
        var random = new Random(15);
        byte[] large = Enumerable.Range(0, 1000).Select(_ => (byte)random.Next(0x21, 0x7F)).ToArray();
        foreach (byte[] record in new[] { get, large, "x"u8.ToArray() })
        {
            Assert.DoesNotContain((byte)0, record);
            client.Send(record);
            var echoed = new List<byte>();
            var pieces = new List<int>();
            while (echoed.Count < record.Length)
            {
                byte[] piece = await client.ReceiveAsync(Limit);
                echoed.AddRange(piece);
                pieces.Add(piece.Length);
            }

            Assert.True(record.AsSpan().SequenceEqual(echoed.ToArray()), "echo differs; records of " + string.Join(", ", pieces) + " bytes");
        }
    }

    [SkippableFact]
    public async Task An_identity_with_a_zero_byte_inside_is_matched_whole_by_gnutls_serv()
    {
        PeerRequirement.Require(DtlsPeers.GnutlsMissing);
        byte[] whole = [0x63, 0x6C, 0x69, 0x00, 0x65, 0x6E, 0x74, 0xFF];  // "cli\0ent" and a byte that is not UTF-8
        byte[] wholeKey = Convert.FromHexString(KeyHex);
        byte[] cutKey = Convert.FromHexString("ffeeddccbbaa99887766554433221100");

        // The file names the identity cut at its zero byte too, with another key: a stack that cut the identity would
        // find that entry, and the handshake with the whole identity's key would fail.
        (StdioPeer server, int port) = await StartEchoAsync(("cli", cutKey), (Encoding.Latin1.GetString(whole), wholeKey));
        using StdioPeer _ = server;
        var at = new IPEndPoint(IPAddress.Loopback, port);

        using (var client = new DtlsDatagramClient(at, whole, wholeKey))
        {
            client.Send("zero inside"u8.ToArray());
            Assert.Equal("zero inside"u8.ToArray(), await client.ReceiveAsync(Limit));
        }

        // The control: the whole identity with the cut identity's key fails, so a wrong key cannot pass for a right one.
        using (var wrong = new DtlsDatagramClient(at, whole, cutKey))
        {
            wrong.Send("must not pass"u8.ToArray());
            Exception? failed = await Record.ExceptionAsync(() => wrong.ReceiveAsync(TimeSpan.FromSeconds(5)));
            Assert.True(failed is TimeoutException or InvalidOperationException, "the wrong key was accepted: " + failed);

            // GnuTLS found a key for the 8-byte identity, and our Finished did not decrypt under it (DTLS drops such a
            // record silently, RFC 6347 §4.1.2.7, so the client only times out; the server says why on stderr).
            await server.WaitForTextAsync("due to invalid decryption", Limit);
        }
    }

    // gnutls-serv --echo on 127.0.0.1:PORT's family, PSK only, its password file written from the entries.
    private async Task<(StdioPeer Server, int Port)> StartEchoAsync(params (string Identity, byte[] Key)[] entries)
    {
        string passwd = F("psk-passwd-" + Guid.NewGuid().ToString("N")[..6] + ".txt");
        PopIoT.IO.SecretFile.WriteText(passwd, string.Concat(entries.Select(e => DtlsPeers.GnutlsPasswdLine(Encoding.Latin1.GetBytes(e.Identity), e.Key) + "\n")), overwrite: false);
        int port = CoapPeers.FreePort();
        StdioPeer server = StdioPeer.Start("gnutls-serv", "--udp", "--echo", "--priority", DtlsPeers.GnutlsPriority, "--pskpasswd", passwd, "-p", DtlsPeers.Text(port));
        await DtlsPeers.WaitBoundAsync(port, server, Limit);
        return (server, port);
    }
}
