using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;
using PopIoT.Crypto;
using Xunit;

namespace PopIoT.Tests.Oscore;

/// <summary>
/// OSCORE contexts with A128GCM (1), A256GCM (3) and ChaCha20/Poly1305 (24) (RFC 9053 §4.1, §4.3) from a provider that
/// has them: a request protected and verified, and the attacker's variations refused.
/// </summary>
public sealed class OscoreAeadAlgorithmTests
{
    private static bool Supported(int alg) => alg == 24 ? System.Security.Cryptography.ChaCha20Poly1305.IsSupported : System.Security.Cryptography.AesGcm.IsSupported;

    private static SecurityContext Context(ICryptoProvider provider, int alg, byte[] sender, byte[] recipient) =>
        new(provider, OscoreTestContexts.MasterSecret, OscoreTestContexts.MasterSalt, sender, recipient, null, new SecurityContextOptions { Algorithm = alg });

    private static byte[] ProtectedGet(SecurityContext client)
    {
        var request = new CoapMessage { Code = CoapCode.Get, MessageId = 7 };
        request.AddUriPath("/secret");
        Assert.Equal(OscoreStatus.Ok, new OscoreProcessor().ProtectRequest(request, client, true, new OscoreExchange()));
        return OscoreTestContexts.Serialize(request);
    }

    [SkippableTheory]
    [InlineData(1, 16)]
    [InlineData(3, 16)]
    [InlineData(24, 16)]
    public void A_request_verifies_once_and_any_changed_byte_of_it_is_refused(int alg, int tagLength)
    {
        Skip.IfNot(Supported(alg), "the platform has no algorithm " + alg);
        using SecurityContext client = Context(new PlatformCryptoProvider(), alg, [], [0x01]);
        using SecurityContext server = Context(new PlatformCryptoProvider(), alg, [0x01], []);
        Assert.Equal(12, client.NonceLength);
        Assert.Equal(tagLength, client.TagLength);
        byte[] wire = ProtectedGet(client);

        // Every byte of the ciphertext and tag (the payload after 0xff) changed, one at a time: never accepted.
        int payload = Array.IndexOf(wire, (byte)0xff) + 1;
        for (int i = payload; i < wire.Length; i++)
        {
            byte[] varied = (byte[])wire.Clone();
            varied[i] ^= 0x01;
            var table = OscoreTestContexts.Table(Context(new PlatformCryptoProvider(), alg, [0x01], []));
            Assert.Equal(OscoreStatus.DecryptionFailed, new OscoreProcessor().UnprotectRequest(OscoreTestContexts.Parse(varied), table, new OscoreExchange()));
        }

        var serverTable = OscoreTestContexts.Table(server);
        CoapMessage received = OscoreTestContexts.Parse(wire);
        Assert.Equal(OscoreStatus.Ok, new OscoreProcessor().UnprotectRequest(received, serverTable, new OscoreExchange()));
        Assert.Equal(CoapCode.Get, received.Code);

        // The same datagram again: the replay window refuses it (RFC 8613 §7.4).
        Assert.Equal(OscoreStatus.ReplayDetected, new OscoreProcessor().UnprotectRequest(OscoreTestContexts.Parse(wire), serverTable, new OscoreExchange()));
    }

    [SkippableFact]
    public void A_server_context_with_another_algorithm_never_accepts_the_request()
    {
        Skip.IfNot(Supported(1) && Supported(24), "the platform lacks AES-GCM or ChaCha20/Poly1305");
        using SecurityContext client = Context(new PlatformCryptoProvider(), 1, [], [0x01]);
        byte[] wire = ProtectedGet(client);
        foreach (int other in new[] { 3, 24, 30 })
        {
            var table = OscoreTestContexts.Table(Context(new PlatformCryptoProvider(), other, [0x01], []));
            Assert.NotEqual(OscoreStatus.Ok, new OscoreProcessor().UnprotectRequest(OscoreTestContexts.Parse(wire), table, new OscoreExchange()));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(24)]
    public void The_managed_provider_has_no_aes_gcm_or_chacha20_and_says_so(int alg)
    {
        var e = Assert.Throws<ArgumentException>(() => Context(new ManagedCryptoProvider(PlatformRandomSource.Instance), alg, [], [0x01]));
        Assert.Contains("is not available on this platform", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_seven_byte_id_is_refused_with_a_12_byte_nonce_and_accepted_with_aes_ccm()
    {
        byte[] seven = [1, 2, 3, 4, 5, 6, 7];
        Assert.Throws<ArgumentException>(() => Context(new PlatformCryptoProvider(), 1, seven, []));
        using SecurityContext ccm = Context(new PlatformCryptoProvider(), 10, seven, []);
        Assert.Equal(13, ccm.NonceLength);
    }
}
