using System;

using CsCheck;

using PopIoT.Core.Dtls;

using Xunit;

namespace PopIoT.Core.Tests.Dtls;

/// <summary>Property tests of the handshake parsers: any bytes are answered without an exception, and what is accepted stays in bounds.</summary>
public class DtlsParserPropertyTests
{
    [Fact]
    public void ClientHello_parser_never_throws_and_its_offsets_lie_inside_the_body()
    {
        Gen.Byte.Array[0, 400].Sample(body =>
        {
            if (DtlsClientHello.Parse(ByteRange.Of(body), out DtlsClientHello hello))
            {
                Assert.InRange(hello.CookieAt + hello.CookieLength, 0, body.Length);
                Assert.InRange(hello.SuitesAt + hello.SuitesLength, 0, body.Length);
                Assert.Equal(0, hello.SuitesLength & 1);
            }
        }, iter: 20_000);
    }

    [Fact]
    public void ClientHello_parser_reads_a_generated_hello_field_by_field()
    {
        Gen.Select(Gen.Byte.Array[0, 32], Gen.Byte.Array[0, 255], Gen.UShort.Array[1, 20], Gen.Bool).Sample((sessionId, cookie, suites, ems) =>
        {
            var b = new System.Collections.Generic.List<byte> { 0xFE, 0xFD };
            b.AddRange(new byte[32]);
            b.Add((byte)sessionId.Length);
            b.AddRange(sessionId);
            b.Add((byte)cookie.Length);
            b.AddRange(cookie);
            b.Add((byte)(suites.Length * 2 >> 8));
            b.Add((byte)(suites.Length * 2));
            foreach (ushort s in suites)
            {
                b.Add((byte)(s >> 8));
                b.Add((byte)s);
            }

            b.AddRange(new byte[] { 1, 0 });
            if (ems)
            {
                b.AddRange(new byte[] { 0, 4, 0x00, 0x17, 0, 0 });
            }

            byte[] body = b.ToArray();
            Assert.True(DtlsClientHello.Parse(ByteRange.Of(body), out DtlsClientHello hello));
            Assert.Equal(0xFEFD, hello.Version);
            Assert.Equal(cookie.Length, hello.CookieLength);
            Assert.Equal(cookie, body.AsSpan(hello.CookieAt, hello.CookieLength).ToArray());
            Assert.Equal(suites.Length * 2, hello.SuitesLength);
            Assert.Equal(ems, hello.ExtendedMasterSecret);
            Assert.True(hello.NullCompression);
            Assert.Equal(Array.IndexOf(suites, (ushort)0xC0A8) >= 0, hello.Offers(body, 0xC0A8));
        }, iter: 2_000);
    }

    [Fact]
    public void Reassembler_takes_any_fragments_without_an_exception_and_completes_only_whole_messages()
    {
        Gen.Select(Gen.Int[0, 3], Gen.Int[0, 600], Gen.Int[0, 700], Gen.Byte.Array[0, 300]).Array[1, 12].Sample(fragments =>
        {
            var r = new DtlsReassembler(384, 2);
            r.Reset(0);
            byte[] header = new byte[12];
            foreach (var (seq, length, offset, bytes) in fragments)
            {
                header[0] = 2;
                header[1] = (byte)(length >> 16);
                header[2] = (byte)(length >> 8);
                header[3] = (byte)length;
                header[5] = (byte)seq;
                header[6] = (byte)(offset >> 16);
                header[7] = (byte)(offset >> 8);
                header[8] = (byte)offset;
                r.Offer(ByteRange.Of(header), ByteRange.Of(bytes));
                while (r.IsComplete)
                {
                    Assert.InRange(r.Body.Count, 0, 384);
                    r.Advance();
                }
            }
        }, iter: 5_000);
    }
}
