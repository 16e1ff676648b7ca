using CsCheck;
using PopIoT.Core;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using PopIoT.Crypto;
using PopIoT.Oscore;
using Xunit;

namespace PopIoT.Tests.Oscore;

/// <summary>
/// RFC 8613 Appendix B.2 with arbitrary bytes: neither side of the re-keying protocol throws on a malformed or forged
/// message, and nothing unverified is kept (no R2 on the server, no new context on the client).
/// </summary>
public sealed class OscoreRekeyingPropertyTests
{
    private static readonly byte[] Secret = Convert.FromHexString("0102030405060708090a0b0c0d0e0f10");
    private static readonly byte[] Salt = Convert.FromHexString("9e7ca92223786340");
    private static readonly byte[] ClientId = [0x01];

    private static readonly OscoreContextFile Shared = OscoreContextFile.Parse(
        """{"sender_id":"01","recipient_id":"","master_secret":"0102030405060708090a0b0c0d0e0f10","master_salt":"9e7ca92223786340","alg":10}"""u8);

    private static SecurityContext? Derive(byte[] kid, byte[] idContext, bool lasting) =>
        kid.AsSpan().SequenceEqual(ClientId) ? new SecurityContext(PlatformCryptoProvider.Instance, Secret, Salt, [], ClientId, idContext) : null;

    [Fact]
    public void The_server_refuses_arbitrary_re_keying_requests_without_throwing_or_keeping_an_r2()
    {
        int settled = 0;
        var server = new OscoreRekeyingServer(PlatformCryptoProvider.Instance, TimeProvider.System, Derive, (_, _) => settled++);
        var table = new OscoreContextTable(4);
        table.Add(new SecurityContext(PlatformCryptoProvider.Instance, Secret, Salt, [], ClientId, null!));
        Gen.Select(Gen.Byte.Array[0, 7], Gen.Byte.Array[0, 40], Gen.Byte.Array[1, 5], Gen.Byte.Array[0, 64], Gen.Bool).Sample((kid, kidContext, piv, payload, raw) =>
        {
            var request = new CoapMessage { Code = CoapCode.Post };
            byte[] option = new byte[OscoreOption.MaxEncodedLength + 64];
            int length;
            if (raw)
            {
                // Arbitrary bytes where the OSCORE option goes.
                length = Math.Min(kidContext.Length, option.Length);
                kidContext.AsSpan(0, length).CopyTo(option);
            }
            else
            {
                length = OscoreOption.Encode(new ByteRange(piv, 0, piv.Length), new ByteRange(kidContext, 0, Math.Min(kidContext.Length, SecurityContext.MaxIdContextLength)), new ByteRange(kid, 0, kid.Length), option, 0);
            }

            request.AddOption(CoapOptionNumber.Oscore, option, 0, length);
            request.SetPayload(payload, 0, payload.Length);
            var response = new CoapMessage();
            if (server.Inspect(table, request, response, out OscoreStatus status, out OscoreRekeyingCandidate? candidate))
            {
                Assert.NotEqual(OscoreStatus.Ok, status);
                Assert.True(CoapCode.ClassOf(response.Code) is 4 or 5, CoapCode.ClassOf(response.Code).ToString());
            }

            if (candidate != null)
            {
                server.Settle(table, candidate, false);
            }

            Assert.Equal(0, server.Pending);
        }, threads: 1); // one server and one table shared by every sample: CsCheck's default runs samples on several threads
        Assert.Equal(0, settled);
    }

    [Fact]
    public void The_client_refuses_arbitrary_responses_1_without_throwing()
    {
        Gen.Select(Gen.Byte.Array[0, 48], Gen.Byte.Array[0, 64], Gen.Byte).Sample((optionValue, payload, code) =>
        {
            using var run = new OscoreRekeyingClient(Shared, PlatformCryptoProvider.Instance);
            var request = new CoapMessage { Code = CoapCode.Post };
            request.AddUriPath("token");
            Assert.Equal(OscoreStatus.Ok, run.ProtectRequest1(request));
            var response = new CoapMessage { Code = code };
            response.AddOption(CoapOptionNumber.Oscore, optionValue, 0, optionValue.Length);
            response.SetPayload(payload, 0, payload.Length);
            Assert.NotEqual(OscoreStatus.Ok, run.VerifyResponse1(response));
            Assert.False(run.Verified);
            Assert.Throws<InvalidOperationException>(() => run.CreateThirdContext(null, out _));
        });
    }
}
