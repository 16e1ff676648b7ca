using System.Net;
using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;
using PopIoT.Crypto;

namespace PopIoT.Tests.Oscore;

/// <summary>RFC 8613 Appendix C.1 inputs (client Sender ID empty, server Sender ID 01) and helpers.</summary>
internal static class OscoreTestContexts
{
    public static readonly byte[] MasterSecret = Convert.FromHexString("0102030405060708090a0b0c0d0e0f10");
    public static readonly byte[] MasterSalt = Convert.FromHexString("9e7ca92223786340");

    public static SecurityContext Client(byte[]? secret = null) =>
        new(new PlatformCryptoProvider(), secret ?? MasterSecret, MasterSalt, [], [0x01], null);

    public static SecurityContext Server(bool windowUnknown = false) =>
        new(new PlatformCryptoProvider(), MasterSecret, MasterSalt, [0x01], [], null, new SecurityContextOptions { ReplayWindowUnknown = windowUnknown });

    public static OscoreContextTable Table(SecurityContext server)
    {
        var t = new OscoreContextTable(2);
        t.Add(server);
        return t;
    }

    public static byte[] WithMessageId(byte[] datagram, int mid)
    {
        byte[] copy = (byte[])datagram.Clone();
        copy[2] = (byte)(mid >> 8);
        copy[3] = (byte)mid;
        return copy;
    }

    public static byte[] Serialize(CoapMessage m)
    {
        byte[] b = new byte[m.GetSerializedLength()];
        m.Serialize(b, 0, b.Length);
        return b;
    }

    public static CoapMessage Parse(byte[] datagram)
    {
        var m = new CoapMessage();
        if (m.Parse(datagram, 0, datagram.Length) != CoapParseError.None)
        {
            throw new InvalidOperationException("not a CoAP message");
        }

        return m;
    }

    /// <summary>An endpoint on a network that only records what it receives (an attacker injecting captured datagrams).</summary>
    public sealed class Recorder : PopIoT.Coap.ICoapTransportSink
    {
        public List<byte[]> Received { get; } = [];

        public void OnDatagram(IPEndPoint source, ReadOnlySpan<byte> datagram) => Received.Add(datagram.ToArray());

        public void OnTimer()
        {
        }
    }
}
