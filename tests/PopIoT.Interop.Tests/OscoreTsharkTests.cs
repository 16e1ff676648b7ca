using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Text;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using PopIoT.Crypto;
using PopIoT.Interop.Tests.Peers;
using Xunit;

namespace PopIoT.Interop.Tests;

/// <summary>
/// tshark (Wireshark 4.0, a decoder nobody here wrote) decrypts what our OSCORE client and server sent each other on
/// loopback. The test records the datagrams itself into a classic pcap (LINKTYPE_RAW, IPv4/UDP) and hands it to
/// <c>tshark -r</c> with the security context as the <c>oscore_contexts</c> UAT.
/// </summary>
public sealed class OscoreTsharkTests : TempDirectoryTest
{
    // RFC 8613 Appendix C.1 inputs: the client's Sender ID is empty, the server's is 01.
    private const string Secret = "0102030405060708090a0b0c0d0e0f10";
    private const string Salt = "9e7ca92223786340";

    // Field order of Wireshark's oscore_contexts UAT: Sender ID, Recipient ID, Master Secret, Master Salt, ID Context,
    // Algorithm. The context is the client's view: the request 'kid' is its Sender ID.
    private const string Uat = "uat:oscore_contexts:\"\",\"01\",\"" + Secret + "\",\"" + Salt + "\",\"\",\"AES-CCM-16-64-128 (CCM*)\"";

    private static string? TsharkMissing => PeerRequirement.FindOnPath("tshark") == null ? "tshark not on PATH (apt-get install tshark)" : null;

    [SkippableFact]
    public async Task Tshark_decrypts_our_oscore_get_and_post_on_loopback_showing_method_uri_path_and_payloads()
    {
        PeerRequirement.Require(TsharkMissing);
        var capture = new PcapRecorder();
        var provider = new PlatformCryptoProvider();
        using SecurityContext serverContext = Context(provider, [0x01], []);
        using CoapServer server = NewServer(serverContext);
        server.Map("/sensors/temp", CoapMethods.Get | CoapMethods.Post, (req, _) => ValueTask.FromResult(
            req.Method == CoapCode.Get
                ? new CoapResponse(CoapCode.Content, "21.5 C"u8.ToArray(), 0)
                : new CoapResponse(CoapCode.Changed, Encoding.UTF8.GetBytes("got " + req.PayloadText), 0)));
        IPEndPoint at = server.Start(new RecordingTransport(new UdpCoapTransport(new IPEndPoint(IPAddress.Loopback, 0)), capture));

        using SecurityContext clientContext = Context(provider, [], [0x01]);
        var clientTransport = new RecordingTransport(new UdpCoapTransport(new IPEndPoint(IPAddress.Loopback, 0)), capture);
        await using (var client = new CoapClient(clientTransport, new CoapClientOptions { Oscore = clientContext, Timeout = TimeSpan.FromSeconds(20) }))
        {
            var uri = new Uri("coap://127.0.0.1:" + at.Port + "/sensors/temp");
            Assert.Equal("21.5 C", (await client.GetAsync(uri)).PayloadText);
            Assert.Equal("got set 19", (await client.PostAsync(uri, "set 19"u8.ToArray())).PayloadText);
        }

        string pcap = F("oscore.pcap");
        capture.Write(pcap);
        Assert.Equal(4, capture.Count);

        string port = at.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        (int code, string output, string error) = await RunAsync(
            "-r", pcap, "-o", Uat, "-d", "udp.port==" + port + ",coap", "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,",
            "-e", "frame.number", "-e", "coap.code", "-e", "oscore.code", "-e", "oscore.opt.uri_path", "-e", "text");
        Assert.True(code == 0, "tshark failed: " + error);
        string[][] rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(r => r.Split('|')).ToArray();
        Assert.True(rows.Length == 4, output);

        // Outer codes are POST and 2.04 (RFC 8613 §4.2); the inner ones, which tshark decrypted, are the real ones.
        Assert.Equal(["1", "2", "1", "sensors,temp"], rows[0][..4]);
        Assert.Equal(["2", "68", "69", string.Empty], rows[1][..4]);
        Assert.Contains("21.5 C", rows[1][4], StringComparison.Ordinal);
        Assert.Equal(["3", "2", "2", "sensors,temp"], rows[2][..4]);
        Assert.Equal(["4", "68", "68", string.Empty], rows[3][..4]);
        Assert.Contains("got set 19", rows[3][4], StringComparison.Ordinal);

        // The inner request code and the Uri-Path are only inside the ciphertext: without the context tshark sees neither.
        (int plainCode, string plain, string plainError) = await RunAsync(
            "-r", pcap, "-d", "udp.port==" + port + ",coap", "-T", "fields", "-E", "separator=|", "-e", "oscore.code", "-e", "text");
        Assert.True(plainCode == 0, plainError);
        Assert.DoesNotContain("21.5", plain, StringComparison.Ordinal);
        Assert.DoesNotContain("set 19", plain, StringComparison.Ordinal);
        Assert.True(plain.Split('\n', StringSplitOptions.RemoveEmptyEntries).All(r => r.StartsWith('|')), plain);
    }

    [SkippableFact]
    public async Task Tshark_reads_the_outer_block_options_of_an_oscore_message_fragmented_after_protection()
    {
        PeerRequirement.Require(TsharkMissing);
        var capture = new PcapRecorder();
        var provider = new PlatformCryptoProvider();
        using SecurityContext serverContext = Context(provider, [0x01], []);
        byte[] stored = [];
        using CoapServer server = NewServer(serverContext);
        server.Map("/store", CoapMethods.Get | CoapMethods.Put, (req, _) =>
        {
            if (req.Method == CoapCode.Put)
            {
                stored = req.Payload.ToArray();
                return ValueTask.FromResult(new CoapResponse(CoapCode.Changed));
            }

            return ValueTask.FromResult(new CoapResponse(CoapCode.Content, stored, 0));
        });
        IPEndPoint at = server.Start(new RecordingTransport(new UdpCoapTransport(new IPEndPoint(IPAddress.Loopback, 0)), capture));
        byte[] body = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 10).Select(i => "outer block line " + i + "\n")));

        using SecurityContext clientContext = Context(provider, [], [0x01]);
        var clientTransport = new RecordingTransport(new UdpCoapTransport(new IPEndPoint(IPAddress.Loopback, 0)), capture);
        await using (var client = new CoapClient(clientTransport, new CoapClientOptions { Oscore = clientContext, OscoreOuterBlockSize = 64, Timeout = TimeSpan.FromSeconds(20) }))
        {
            var uri = new Uri("coap://127.0.0.1:" + at.Port + "/store");
            Assert.Equal(CoapCode.Changed, (await client.PutAsync(uri, body)).Code);
            Assert.Equal(body, (await client.GetAsync(uri)).Payload.ToArray());
        }

        string pcap = F("outer.pcap");
        capture.Write(pcap);
        string port = at.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        (int code, string output, string error) = await RunAsync(
            "-r", pcap, "-o", Uat, "-d", "udp.port==" + port + ",coap", "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,",
            "-e", "frame.number", "-e", "coap.code", "-e", "coap.opt.block_number", "-e", "coap.opt.block_mflag", "-e", "coap.opt.block_size",
            "-e", "coap.opt.object_security_piv", "-e", "coap.opt.size1", "-e", "oscore.code");
        Assert.True(code == 0, "tshark failed: " + error);
        string[][] rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(r => r.Split('|')).ToArray();

        // The PUT: one OSCORE message (Partial IV 00 in every block) cut into Outer Block1 blocks of 64 bytes (SZX 2), each
        // request also asking for Outer Block2 blocks of 64 (Block2 NUM 0 is listed first, option 23 before 27). Size1 on
        // block 0; 2.31 Continue (95) echoing each non-final block; tshark itself joins the blocks and decrypts the inner
        // PUT (oscore.code 3) on the last one.
        string[][] put = rows.TakeWhile(r => r[1] != "68").ToArray();
        Assert.True(put.Length >= 5, output);
        int blocks = (put.Length + 1) / 2;
        for (int i = 0; i < blocks; i++)
        {
            string[] request = put[2 * i];
            bool last = i == blocks - 1;
            Assert.Equal("2", request[1]); // Outer POST (RFC 8613 §4.2)
            Assert.Equal("0," + i, request[2]);
            Assert.Equal(last ? "0,0" : "0,1", request[3]);
            Assert.Equal("2,2", request[4]);
            Assert.Equal("00", request[5]);
            Assert.Equal(i == 0 ? "206" : string.Empty, request[6]);
            Assert.Equal(last ? "3" : string.Empty, request[7]);
            if (!last)
            {
                Assert.Equal(["95", i.ToString(System.Globalization.CultureInfo.InvariantCulture), "1", "2"], put[(2 * i) + 1][1..5]);
            }
        }

        // The GET: the same protected request (Partial IV 01 each time) repeated with Outer Block2 NUM 0, 1, 2 ... (RFC 7959
        // §2.4), answered by slices of one protected 2.04 (68) with M set until the last.
        string[][] get = rows.Skip(put.Length + 1).ToArray();
        Assert.True(get.Length >= 6 && get.Length % 2 == 0, output);
        for (int i = 0; i < get.Length / 2; i++)
        {
            string n = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(["2", n, "0"], get[2 * i][1..4]);
            Assert.Equal("01", get[2 * i][5]);
            Assert.Equal(["68", n, i == (get.Length / 2) - 1 ? "0" : "1"], get[(2 * i) + 1][1..4]);
        }
    }

    private static SecurityContext Context(PlatformCryptoProvider provider, byte[] senderId, byte[] recipientId) =>
        new(provider, Convert.FromHexString(Secret), Convert.FromHexString(Salt), senderId, recipientId, null);

    private static CoapServer NewServer(SecurityContext serverContext)
    {
        var table = new OscoreContextTable(1);
        table.Add(serverContext);
        return new CoapServer(new CoapServerOptions { Oscore = table });
    }

    private static async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("tshark") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>Datagrams as IPv4/UDP packets in a classic pcap file with LINKTYPE_RAW (101).</summary>
    private sealed class PcapRecorder
    {
        private readonly List<(DateTime Time, IPEndPoint From, IPEndPoint To, byte[] Data)> _packets = [];

        public int Count
        {
            get
            {
                lock (_packets)
                {
                    return _packets.Count;
                }
            }
        }

        public void Add(IPEndPoint from, IPEndPoint to, ReadOnlySpan<byte> data)
        {
            lock (_packets)
            {
                _packets.Add((DateTime.UtcNow, from, to, data.ToArray()));
            }
        }

        public void Write(string path)
        {
            using var f = File.Create(path);
            Span<byte> header = stackalloc byte[24];
            BinaryPrimitives.WriteUInt32LittleEndian(header, 0xa1b2c3d4);
            BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
            BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
            BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 65535);
            BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 101);
            f.Write(header);
            Span<byte> rec = stackalloc byte[16];
            lock (_packets)
            {
                foreach ((DateTime time, IPEndPoint from, IPEndPoint to, byte[] data) in _packets)
                {
                    byte[] packet = Ipv4Udp(from, to, data);
                    long micros = (time - DateTime.UnixEpoch).Ticks / 10;
                    BinaryPrimitives.WriteUInt32LittleEndian(rec, (uint)(micros / 1_000_000));
                    BinaryPrimitives.WriteUInt32LittleEndian(rec[4..], (uint)(micros % 1_000_000));
                    BinaryPrimitives.WriteUInt32LittleEndian(rec[8..], (uint)packet.Length);
                    BinaryPrimitives.WriteUInt32LittleEndian(rec[12..], (uint)packet.Length);
                    f.Write(rec);
                    f.Write(packet);
                }
            }
        }

        private static byte[] Ipv4Udp(IPEndPoint from, IPEndPoint to, byte[] data)
        {
            byte[] p = new byte[28 + data.Length];
            p[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
            p[8] = 64;
            p[9] = 17;
            from.Address.MapToIPv4().TryWriteBytes(p.AsSpan(12), out _);
            to.Address.MapToIPv4().TryWriteBytes(p.AsSpan(16), out _);
            uint sum = 0;
            for (int i = 0; i < 20; i += 2)
            {
                sum += BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(i));
            }

            while (sum > 0xFFFF)
            {
                sum = (sum & 0xFFFF) + (sum >> 16);
            }

            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), (ushort)~sum);
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(20), (ushort)from.Port);
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), (ushort)to.Port);
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(24), (ushort)(8 + data.Length));
            // UDP checksum 0: none (RFC 768, IPv4).
            data.CopyTo(p, 28);
            return p;
        }
    }

    /// <summary>A transport that copies every datagram sent and received into a <see cref="PcapRecorder"/>.</summary>
    private sealed class RecordingTransport(ICoapTransport inner, PcapRecorder capture) : ICoapTransport, ICoapTransportSink
    {
        private ICoapTransportSink? _sink;

        public IPEndPoint LocalEndPoint => inner.LocalEndPoint;

        public long NowMs => inner.NowMs;

        public void Start(ICoapTransportSink sink)
        {
            _sink = sink;
            inner.Start(this);
        }

        public void Send(IPEndPoint destination, ReadOnlySpan<byte> datagram)
        {
            capture.Add(LocalEndPoint, destination, datagram);
            inner.Send(destination, datagram);
        }

        public void ScheduleWake(long atMs) => inner.ScheduleWake(atMs);

        public void Dispose() => inner.Dispose();

        public void OnDatagram(IPEndPoint source, ReadOnlySpan<byte> datagram) => _sink!.OnDatagram(source, datagram);

        public void OnTimer() => _sink!.OnTimer();
    }
}
