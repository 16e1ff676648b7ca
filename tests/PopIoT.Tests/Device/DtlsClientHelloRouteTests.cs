using System.Buffers.Binary;
using CsCheck;
using PopIoT.Device;
using Xunit;

namespace PopIoT.Tests.Device;

/// <summary>
/// <see cref="DtlsClientHelloRoute"/>, the parser that decides which DTLS server a new client's first datagram goes to:
/// generated ClientHellos (RFC 6347 §4.2.1) are routed by their suites exactly, and random, truncated or byte-varied
/// datagrams never throw and never reach the raw-public-key server unless they are such a ClientHello.
/// </summary>
public sealed class DtlsClientHelloRouteTests
{
    private static readonly int[] Known = [DtlsClientHelloRoute.EcdheEcdsaAes128Ccm8, DtlsClientHelloRoute.PskAes128Ccm8, DtlsClientHelloRoute.PskAes128Ccm, 0xC02B, 0x00FF, 0xC0AC];

    private static readonly Gen<int[]> Suites = Gen.OneOf(Gen.Int[0, Known.Length - 1].Select(i => Known[i]), Gen.Int[0, 0xFFFF]).Array[1, 12];

    [Fact]
    public void A_generated_client_hello_goes_to_the_rpk_server_exactly_when_it_offers_ecdhe_ecdsa_ccm8_and_no_psk_suite()
    {
        Gen.Select(Suites, Gen.Byte.Array[0, 32], Gen.Byte.Array[0, 32], Gen.Byte.Array[0, 40]).Sample((suites, session, cookie, extensions) =>
        {
            byte[] hello = ClientHello(suites, session, cookie, extensions);
            bool expected = suites.Contains(0xC0AE) && !suites.Contains(0xC0A8) && !suites.Contains(0xC0A4);
            Assert.Equal(expected, DtlsClientHelloRoute.IsRawPublicKeyHello(hello));
            Assert.True(DtlsClientHelloRoute.TryGetCipherSuites(hello, out ReadOnlySpan<byte> got));
            Assert.Equal(suites.Length * 2, got.Length);
        });
    }

    [Fact]
    public void Random_truncated_and_byte_varied_datagrams_never_throw_and_a_cut_hello_is_never_routed()
    {
        byte[] rpk = ClientHello([0xC0AE], [], [], []);
        Gen.OneOf(
            Gen.Byte.Array[0, 300],
            Gen.Int[0, rpk.Length - 1].Select(n => rpk[..n]),
            Gen.Select(Gen.Int[0, rpk.Length - 1], Gen.Byte).Select((i, b) =>
            {
                byte[] v = (byte[])rpk.Clone();
                v[i] = b;
                return v;
            })).Sample(bytes =>
            {
                bool routed = DtlsClientHelloRoute.IsRawPublicKeyHello(bytes);
                if (bytes.Length < rpk.Length)
                {
                    Assert.False(routed);
                }
            });
    }

    [Theory]
    [InlineData(0, 23, "not a handshake record")]
    [InlineData(3, 1, "epoch 1 (an established session's record)")]
    [InlineData(13, 2, "a ServerHello, not a ClientHello")]
    [InlineData(19, 1, "a fragment (offset 1)")]
    public void Only_a_whole_epoch_0_client_hello_is_routed(int at, byte value, string what)
    {
        byte[] hello = ClientHello([0xC0AE], [], [], []);
        Assert.True(DtlsClientHelloRoute.IsRawPublicKeyHello(hello));
        hello[at] = value;
        Assert.False(DtlsClientHelloRoute.IsRawPublicKeyHello(hello), what);
    }

    // RFC 6347 §4.1 record header, §4.2.2 handshake header, §4.2.1 ClientHello (no compression but null).
    internal static byte[] ClientHello(int[] suites, byte[] session, byte[] cookie, byte[] extensions)
    {
        var body = new List<byte> { 0xFE, 0xFD };
        body.AddRange(new byte[32]);
        body.Add((byte)session.Length);
        body.AddRange(session);
        body.Add((byte)cookie.Length);
        body.AddRange(cookie);
        body.Add((byte)(suites.Length * 2 >> 8));
        body.Add((byte)(suites.Length * 2));
        foreach (int s in suites)
        {
            body.Add((byte)(s >> 8));
            body.Add((byte)s);
        }

        body.AddRange([1, 0]);
        if (extensions.Length > 0)
        {
            body.Add((byte)(extensions.Length >> 8));
            body.Add((byte)extensions.Length);
            body.AddRange(extensions);
        }

        byte[] hs = new byte[12 + body.Count];
        hs[0] = 1;
        WriteUint24(hs, 1, body.Count);
        WriteUint24(hs, 9, body.Count);
        body.CopyTo(hs, 12);
        byte[] record = new byte[13 + hs.Length];
        record[0] = 22;
        record[1] = 0xFE;
        record[2] = 0xFF;
        BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(11), (ushort)hs.Length);
        hs.CopyTo(record, 13);
        return record;
    }

    private static void WriteUint24(byte[] b, int at, int v)
    {
        b[at] = (byte)(v >> 16);
        b[at + 1] = (byte)(v >> 8);
        b[at + 2] = (byte)v;
    }
}
