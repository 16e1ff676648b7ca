#nullable disable
using System;

using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;
using PopIoT.Core.Tests.Coap;
using PopIoT.Core.Tests.Crypto;

namespace PopIoT.Core.Tests.Oscore;

/// <summary>The contexts of RFC 8613 Appendix C.1–C.3, built from their published inputs.</summary>
internal static class OscoreTestSupport
{
    public static readonly byte[] MasterSecret = Hex.Parse("0102030405060708090a0b0c0d0e0f10");
    public static readonly byte[] MasterSalt = Hex.Parse("9e7ca92223786340");
    public static readonly byte[] IdContext = Hex.Parse("37cbf3210017a2d3");

    public static ICryptoProvider Managed() => new ManagedCryptoProvider(new SeededRandomSource(7));

    // C.1: client Sender ID empty, Recipient ID 01; the server is the mirror image.
    public static SecurityContext C1Client(ICryptoProvider p = null) => new(p ?? Managed(), MasterSecret, MasterSalt, [], [0x01], null);

    public static SecurityContext C1Server(ICryptoProvider p = null, int window = 32, bool unknown = false) =>
        new(p ?? Managed(), MasterSecret, MasterSalt, [0x01], [], null, new SecurityContextOptions { ReplayWindowSize = window, ReplayWindowUnknown = unknown });

    public static SecurityContext C2Client() => new(Managed(), MasterSecret, null, [0x00], [0x01], null);

    public static SecurityContext C2Server() => new(Managed(), MasterSecret, null, [0x01], [0x00], null);

    public static SecurityContext C3Client() => new(Managed(), MasterSecret, MasterSalt, [], [0x01], IdContext);

    public static SecurityContext C3Server() => new(Managed(), MasterSecret, MasterSalt, [0x01], [], IdContext);

    /// <summary>Advances a context's Sender Sequence Number to <paramref name="n"/> (the vectors start at 20).</summary>
    public static void SkipTo(SecurityContext c, long n)
    {
        var p = new OscoreProcessor();
        var m = new CoapMessage { Code = CoapCode.Get };
        var e = new OscoreExchange();
        while (c.SenderSequenceNumber < n)
        {
            m.Reset();
            m.Code = CoapCode.Get;
            p.ProtectRequest(m, c, false, e);
        }
    }

    public static byte[] Serialize(CoapMessage m)
    {
        byte[] b = new byte[m.GetSerializedLength()];
        m.Serialize(b, 0, b.Length);
        return b;
    }

    /// <summary>A copy of <paramref name="datagram"/> under another Message ID (a capture sent again).</summary>
    public static byte[] WithMessageId(byte[] datagram, int mid)
    {
        byte[] copy = (byte[])datagram.Clone();
        copy[2] = (byte)(mid >> 8);
        copy[3] = (byte)mid;
        return copy;
    }

    public static CoapMessage ParseNew(byte[] datagram)
    {
        var m = new CoapMessage();
        if (m.Parse(datagram, 0, datagram.Length) != CoapParseError.None)
        {
            throw new InvalidOperationException("test datagram does not parse");
        }

        return m;
    }
}
