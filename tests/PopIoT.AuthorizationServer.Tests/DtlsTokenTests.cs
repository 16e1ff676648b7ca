using System.Security.Cryptography;
using PopIoT.Ace;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Cose;
using PopIoT.Core.Ace;
using PopIoT.Core.Cose;
using PopIoT.Core.Cwt;
using PopIoT.Crypto;
using static PopIoT.AuthorizationServer.Tests.AceTestBed;
using AceParameters = PopIoT.Core.Ace.AceParameters;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// coap_dtls tokens from the token endpoint (RFC 9202 §3): each form read back by an independent decoder
/// (<see cref="IndependentCose"/>) and by Core's validator as an RS would, the derived PSK recomputed with BouncyCastle's
/// HKDF, RPK mode with rs_cnf, and updates of access rights by kid (§4).
/// </summary>
public abstract class DtlsTokenTests : IDisposable
{
    private static readonly AcePeer Gwd = new(false, "gwd");
    private readonly ECDsa _rsKeyPair = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly Lazy<AceTestBed> _lazyBed;

    protected DtlsTokenTests(StoreKind kind) => _lazyBed = new(() => Registered(new AceTestBed(kind)));

    private AceTestBed Bed => _lazyBed.Value;

    // The resource servers as the store gives them back.
    private ResourceServerRecord Enc => Bed.Store.FindResourceServer("dtls-enc")!;

    private ResourceServerRecord Mac => Bed.Store.FindResourceServer("dtls-mac")!;

    private ResourceServerRecord Kdf => Bed.Store.FindResourceServer("dtls-kdf")!;

    private ResourceServerRecord Rpk => Bed.Store.FindResourceServer("dtls-rpk")!;

    public void Dispose()
    {
        _rsKeyPair.Dispose();
        if (_lazyBed.IsValueCreated)
        {
            _lazyBed.Value.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    // Made on first use, so that a test without a PostgreSQL server is skipped rather than failed in the constructor.
    private AceTestBed Registered(AceTestBed bed)
    {
        int[] both = [AceProfile.CoapDtls, AceProfile.CoapOscore];
        bed.Registry.AddResourceServer("dtls-enc", TokenProtection.Encrypt0, dtls: new ResourceServerDtls(both));
        bed.Registry.AddResourceServer("dtls-mac", TokenProtection.Mac0, dtls: new ResourceServerDtls([AceProfile.CoapDtls]));
        bed.Registry.AddResourceServer("dtls-kdf", TokenProtection.Mac0, dtls: new ResourceServerDtls([AceProfile.CoapDtls], DerivePsk: true));
        bed.Registry.AddResourceServer("dtls-rpk", TokenProtection.Encrypt0, dtls: new ResourceServerDtls([AceProfile.CoapDtls], RsPublicKey: PublicKey(_rsKeyPair).Encode()));
        bed.Registry.AddClient("gwd", profiles: [AceProfile.CoapDtls, AceProfile.CoapOscore]);
        foreach (string rs in new[] { "dtls-enc", "dtls-mac", "dtls-kdf", "dtls-rpk", "temp1" })
        {
            bed.Registry.Grant("gwd", rs, AccessScope.Parse(AifGrant));
        }

        return bed;
    }

    [SkippableFact]
    public async Task An_encrypt0_token_carries_the_psk_as_a_cose_key_that_an_independent_decoder_reads()
    {
        Dictionary<long, byte[]> response = await Issue("dtls-enc");
        Assert.Equal(AceProfile.CoapDtls, Int(response[AceParameters.AceProfile]));
        (byte[] kid, byte[] psk) = ClientPsk(response);
        Assert.Equal(AccessTokenMinter.PskLength, psk.Length);
        Assert.False(response.ContainsKey(AceParameters.RsCnf));

        byte[] claims = IndependentCose.OpenEncrypt0(Bytes(response[AceParameters.AccessToken]), RsKey(Enc, CoseKeyOperation.Decrypt));
        Dictionary<long, object> c = IndependentCose.ReadMap(claims);
        Assert.Equal("dtls-enc", c[3]);
        Assert.Equal((long)AceProfile.CoapDtls, c[38]);
        Dictionary<long, object> coseKey = IndependentCose.ReadMap((byte[])IndependentCose.ReadMap((byte[])c[8])[1]);
        Assert.Equal(4L, coseKey[1]);
        Assert.Equal(kid, coseKey[2]);
        Assert.Equal(psk, coseKey[-1]);
        Assert.Equal(3, coseKey.Count); // no alg: the PSK serves the DTLS cipher suite

        // Core's validator, as the RS's token intake runs it, finds the same key in the encrypted token.
        Assert.Equal(psk, ValidatedSymmetricKey(Enc, Bytes(response[AceParameters.AccessToken])));
    }

    [SkippableFact]
    public async Task A_mac0_token_carries_the_psk_as_an_encrypted_cose_key_sealed_with_the_unwrap_key()
    {
        Dictionary<long, byte[]> response = await Issue("dtls-mac");
        (byte[] kid, byte[] psk) = ClientPsk(response);
        byte[] token = Bytes(response[AceParameters.AccessToken]);
        byte[] claims = IndependentCose.VerifyMac0(token, RsKey(Mac, CoseKeyOperation.MacVerify));
        Dictionary<long, object> cnf = IndependentCose.ReadMap((byte[])IndependentCose.ReadMap(claims)[8]);
        Assert.False(cnf.ContainsKey(1)); // never the key in clear in a Mac0 token (RFC 9202 §3.3)
        byte[] sealedKey = (byte[])cnf[2];
        Dictionary<long, object> opened = IndependentCose.ReadMap(IndependentCose.OpenEncrypt0(sealedKey, RsKey(Mac, CoseKeyOperation.UnwrapKey), tagged: false));
        Assert.Equal(kid, opened[2]);
        Assert.Equal(psk, opened[-1]);
        Assert.Equal(psk, ValidatedSymmetricKey(Mac, token));
    }

    [SkippableFact]
    public async Task A_kid_only_token_lets_the_rs_derive_the_psk_which_bouncycastle_hkdf_recomputes()
    {
        Dictionary<long, byte[]> response = await Issue("dtls-kdf");
        (byte[] kid, byte[] psk) = ClientPsk(response);
        byte[] token = Bytes(response[AceParameters.AccessToken]);
        byte[] claims = IndependentCose.VerifyMac0(token, RsKey(Kdf, CoseKeyOperation.MacVerify));
        Dictionary<long, object> cnf = IndependentCose.ReadMap((byte[])IndependentCose.ReadMap(claims)[8]);

        // RFC 9202 §3.3: only the kid, as RFC 8747 §3.4's { kid } (a kid new to the RS: not an update).
        Assert.Single(cnf);
        Assert.Equal(kid, cnf[3]);
        byte[] derivationKey = RsKey(Kdf, CoseKeyOperation.DeriveKey);
        Assert.Equal(32, derivationKey.Length);
        Assert.Equal(IndependentCose.DeriveDtlsPsk(derivationKey, token, 16), psk);

        // Another token gets another kid and another key.
        (byte[] kid2, byte[] psk2) = ClientPsk(await Issue("dtls-kdf"));
        Assert.NotEqual(kid, kid2);
        Assert.NotEqual(psk, psk2);
    }

    [SkippableFact]
    public async Task Rpk_mode_binds_the_clients_public_key_and_answers_with_the_rs_key_in_rs_cnf()
    {
        using ECDsa client = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using CoseKey clientPublic = PublicKey(client);
        Dictionary<long, byte[]> response = await Issue("dtls-rpk", (AceParameters.ReqCnf, KeyCnf(clientPublic)));
        Assert.Equal(AceProfile.CoapDtls, Int(response[AceParameters.AceProfile]));
        Assert.False(response.ContainsKey(AceParameters.Cnf)); // the client has its key pair; the AS sends no key

        // RFC 9202 §3.2.1: rs_cnf is the RS's registered public key.
        Dictionary<long, object> rsKey = IndependentCose.ReadMap((byte[])IndependentCose.ReadMap(response[AceParameters.RsCnf])[1]);
        ECParameters rsParams = _rsKeyPair.ExportParameters(false);
        Assert.Equal(rsParams.Q.X, rsKey[-2]);
        Assert.Equal(rsParams.Q.Y, rsKey[-3]);
        Assert.False(rsKey.ContainsKey(-4));

        byte[] claims = IndependentCose.OpenEncrypt0(Bytes(response[AceParameters.AccessToken]), RsKey(Rpk, CoseKeyOperation.Decrypt));
        Dictionary<long, object> bound = IndependentCose.ReadMap((byte[])IndependentCose.ReadMap((byte[])IndependentCose.ReadMap(claims)[8])[1]);
        ECParameters clientParams = client.ExportParameters(false);
        Assert.Equal(2L, bound[1]);
        Assert.Equal(clientParams.Q.X, bound[-2]);
        Assert.Equal(clientParams.Q.Y, bound[-3]);
        Assert.False(bound.ContainsKey(-4));
    }

    [SkippableFact]
    public async Task Rpk_requests_with_a_private_key_another_curve_or_an_rs_without_a_public_key_are_unsupported_pop_key()
    {
        using ECDsa client = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ECParameters full = client.ExportParameters(true);
        using (CoseKey withD = CoseKey.Ec2P256(full.Q.X!, full.Q.Y!, full.D!, 0, null!))
        {
            AssertError(await Ask("dtls-rpk", Gwd, (AceParameters.ReqCnf, KeyCnf(withD))), AceErrorCode.UnsupportedPopKey, "private key material");
        }

        using CoseKey ed = CoseKey.OkpEd25519(new byte[32], null!, 0, null!);
        AssertError(await Ask("dtls-rpk", Gwd, (AceParameters.ReqCnf, KeyCnf(ed))), AceErrorCode.UnsupportedPopKey, "EC2 P-256");
        using CoseKey pub = PublicKey(client);
        AssertError(await Ask("dtls-enc", Gwd, (AceParameters.ReqCnf, KeyCnf(pub))), AceErrorCode.UnsupportedPopKey, "no raw public key registered");
        Assert.Empty(Bed.Store.ListTokens());
    }

    [SkippableFact]
    public async Task An_update_names_the_psk_by_kid_and_gets_a_token_for_the_same_key_without_a_new_one()
    {
        Dictionary<long, byte[]> first = await Issue("dtls-enc");
        (byte[] kid, _) = ClientPsk(first);
        Dictionary<long, byte[]> update = await Issue("dtls-enc", (AceParameters.ReqCnf, Encode(w => { w.WriteStartMap(1); w.WriteInt32(3); w.WriteByteString(kid); })));
        Assert.Equal(AceProfile.CoapDtls, Int(update[AceParameters.AceProfile]));
        Assert.False(update.ContainsKey(AceParameters.Cnf));
        byte[] claims = IndependentCose.OpenEncrypt0(Bytes(update[AceParameters.AccessToken]), RsKey(Enc, CoseKeyOperation.Decrypt));
        Assert.Equal(kid, IndependentCose.ReadMap((byte[])IndependentCose.ReadMap(claims)[8])[3]);
    }

    [SkippableFact]
    public async Task An_update_naming_a_kid_not_issued_to_this_client_is_unsupported_pop_key()
    {
        (byte[] kid, _) = ClientPsk(await Issue("dtls-mac"));
        byte[] reqCnf = Encode(w => { w.WriteStartMap(1); w.WriteInt32(3); w.WriteByteString(kid); });

        // The kid of another RS's token, and a made-up kid (RFC 9202 §4).
        AssertError(await Ask("dtls-enc", Gwd, (AceParameters.ReqCnf, reqCnf)), AceErrorCode.UnsupportedPopKey, "does not name a DTLS PSK issued to client 'gwd'");
        AssertError(await Ask("dtls-mac", Gwd, (AceParameters.ReqCnf, Encode(w => { w.WriteStartMap(1); w.WriteInt32(3); w.WriteByteString([9, 9]); }))), AceErrorCode.UnsupportedPopKey, "(RFC 9202 §4)");
        Assert.Single(Bed.Store.ListTokens());
    }

    [SkippableFact]
    public async Task The_stored_cnf_is_what_introspection_gives_the_rs_and_names_the_kid()
    {
        (byte[] kid, byte[] psk) = ClientPsk(await Issue("dtls-enc"));
        IssuedTokenRecord stored = Bed.Store.ListTokens().Single();
        Assert.Equal(AceProfile.CoapDtls, stored.Profile);
        Dictionary<long, object> key = IndependentCose.ReadMap((byte[])IndependentCose.ReadMap(stored.Cnf)[1]);
        Assert.Equal(kid, key[2]);
        Assert.Equal(psk, key[-1]);
    }

    private async Task<Dictionary<long, byte[]>> Issue(string audience, params (int Key, byte[] Value)[] extra)
    {
        AceResponse r = await Ask(audience, Gwd, extra);
        Assert.True(r.Error == null, r.Description);
        return Map(r.Payload);
    }

    private Task<AceResponse> Ask(string audience, AcePeer peer, params (int Key, byte[] Value)[] extra) =>
        Bed.Server.Token.HandleAsync(peer, TokenRequest(audience, null, extra));

    private static void AssertError(AceResponse r, int code, string descriptionPart)
    {
        Assert.Equal(code, r.Error);
        Assert.Contains(descriptionPart, r.Description, StringComparison.Ordinal);
    }

    // The client's cnf: { COSE_Key: { kty 4, kid, k } } (RFC 9202 §3.3, Figure 5).
    private static (byte[] Kid, byte[] Psk) ClientPsk(Dictionary<long, byte[]> response)
    {
        Dictionary<long, object> key = IndependentCose.ReadMap((byte[])IndependentCose.ReadMap(response[AceParameters.Cnf])[1]);
        Assert.Equal(4L, key[1]);
        return ((byte[])key[2], (byte[])key[-1]);
    }

    internal static CoseKey PublicKey(ECDsa ec)
    {
        ECParameters p = ec.ExportParameters(false);
        return CoseKey.Ec2P256(p.Q.X!, p.Q.Y!, null!, 0, null!);
    }

    private static byte[] KeyCnf(CoseKey key)
    {
        byte[] encoded = key.Encode();
        return Encode(w => { w.WriteStartMap(1); w.WriteInt32(1); w.WriteEncodedValue(encoded, 0, encoded.Length); });
    }

    // The k of the RS's key (from its --key-out file) with the one key_ops it holds.
    private static byte[] RsKey(ResourceServerRecord rs, int keyOp)
    {
        byte[] file = AuthorizationServerRegistry.KeysForResourceServer(rs);
        Assert.Equal(CoseError.None, CoseKeySet.Decode(file, out IReadOnlyList<CoseKey> keys));
        CoseKey key = keys.Single(k => k.HasKeyOperations && k.Permits(keyOp));
        return IndependentCose.SymmetricK(key.Encode());
    }

    // Core's CwtValidator with the RS's keys, as the device's token intake uses it.
    private static byte[] ValidatedSymmetricKey(ResourceServerRecord rs, byte[] token)
    {
        byte[] file = AuthorizationServerRegistry.KeysForResourceServer(rs);
        Assert.Equal(CoseError.None, CoseKeySet.Decode(file, out IReadOnlyList<CoseKey> keys));
        using var validator = new CwtValidator(PlatformCryptoProvider.Instance, new TestClock(), rs.Audience);
        PopIoT.Device.AsKeySelection selection = PopIoT.Device.AsKeyPurposes.Select(keys, rs.Protection);
        validator.TokenProtection = PopIoT.Device.AsKeyPurposes.CoseTagOf(rs.Protection);
        if (rs.Protection == TokenProtection.Mac0)
        {
            validator.SetMac0Key(selection.TokenKey);
            validator.SetCnfDecryptionKey(selection.CnfKey!);
        }
        else
        {
            validator.SetEncrypt0Key(selection.TokenKey);
        }

        using CwtValidationResult v = validator.Validate(token);
        Assert.True(v.IsValid, v.ToString());
        byte[] k = new byte[v.Confirmation.SymmetricKeyLength];
        v.Confirmation.CopySymmetricKey(k, 0);
        return k;
    }
}

/// <summary>The suite on SQLite.</summary>
public sealed class DtlsTokenTestsOnSqlite() : DtlsTokenTests(StoreKind.Sqlite);

/// <summary>The suite on PostgreSQL.</summary>
public sealed class DtlsTokenTestsOnPostgres() : DtlsTokenTests(StoreKind.Postgres);
