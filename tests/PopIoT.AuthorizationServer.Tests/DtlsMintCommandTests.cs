using PopIoT.Ace;
using PopIoT.Core.Ace;
using PopIoT.Core.Cose;
using PopIoT.Cose;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// <c>key new --purpose derive</c> and <c>token mint --profile coap_dtls</c> (docs/ace-dtls.md), with their refusals: no
/// store involved.
/// </summary>
public sealed class DtlsMintCommandTests : TempDirectoryTest
{
    private static CliRunner.Result Ok(params string[] args)
    {
        CliRunner.Result r = CliRunner.Run(args);
        Assert.True(r.ExitCode == 0, string.Join(' ', args) + " → " + r.ExitCode + ": " + r.Out + r.Error);
        return r;
    }

    private static void Fails(string message, params string[] args) => DtlsCommandTests.Fails(message, args);

    [Fact]
    public void Token_mint_makes_each_dtls_form_and_the_derived_psk_matches_an_independent_hkdf()
    {
        Ok("key", "new", "--kty", "oct", "--alg", "AES-CCM-16-64-128", "--out", F("aead.key"));
        Ok("key", "new", "--kty", "oct", "--purpose", "derive", "--out", F("kdk.key"));
        Fails("--purpose derive needs a symmetric key without --alg", "key", "new", "--kty", "oct", "--alg", "HMAC 256/64", "--purpose", "derive");

        // PSK in an Encrypt0 token.
        Assert.Contains("profile coap_dtls", Ok("token", "mint", "--as-key", "@" + F("aead.key"), "--audience", "lamp", "--scope", "read", "--profile", "coap_dtls", "--out", F("psk.json")).Out, StringComparison.Ordinal);
        AccessTokenFile psk = AccessTokenFile.Load(F("psk.json"));
        Assert.Equal(AceProfile.CoapDtls, psk.Profile);
        byte[] aead = IndependentCose.SymmetricK(Convert.FromHexString(File.ReadAllText(F("aead.key")).Trim()));
        var cnfKey = IndependentCose.ReadMap((byte[])IndependentCose.ReadMap((byte[])IndependentCose.ReadMap(IndependentCose.OpenEncrypt0(psk.AccessToken, aead))[8])[1]);
        Assert.Equal(psk.Psk, cnfKey[-1]);
        Assert.Equal(psk.PskKid, cnfKey[2]);

        // Kid only, with the PSK derived (RFC 9202 §3.3).
        Ok("token", "mint", "--as-key", "@" + F("aead.key"), "--as-key", "@" + F("kdk.key"), "--audience", "lamp", "--scope", "read", "--profile", "coap_dtls", "--out", F("kdf.json"));
        AccessTokenFile derived = AccessTokenFile.Load(F("kdf.json"));
        byte[] kdk = IndependentCose.SymmetricK(Convert.FromHexString(File.ReadAllText(F("kdk.key")).Trim()));
        Assert.Equal(IndependentCose.DeriveDtlsPsk(kdk, derived.AccessToken, 16), derived.Psk);
        Assert.Equal(derived.PskKid, IndependentCose.ReadMap((byte[])IndependentCose.ReadMap(IndependentCose.OpenEncrypt0(derived.AccessToken, aead))[8])[3]);

        // RPK: the client's public key in cnf.
        Ok("key", "new", "--kty", "EC2", "--out", F("client.key"), "--public-out", F("client.pub"));
        Ok("token", "mint", "--as-key", "@" + F("aead.key"), "--audience", "lamp", "--scope", "read", "--profile", "coap_dtls", "--client-key", "@" + F("client.pub"), "--out", F("rpk.json"));
        Assert.Null(AccessTokenFile.Load(F("rpk.json")).Psk);
        Fails("only coap_dtls does", "token", "mint", "--as-key", "@" + F("aead.key"), "--audience", "lamp", "--scope", "read", "--client-key", "@" + F("client.pub"), "--out", F("x.json"));
        Fails("without d", "token", "mint", "--as-key", "@" + F("aead.key"), "--audience", "lamp", "--scope", "read", "--profile", "coap_dtls", "--client-key", "@" + F("client.key"), "--out", F("x.json"));
    }
}
