using System.Net;
using PopIoT.Ace;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Cbor;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Cose;
using PopIoT.Device;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// Each AS–RS key has one purpose (RFC 9052 §7.1 key_ops) and a device accepts only the token protection of its RS: the
/// key file `as rs add --key-out` writes lets a device verify its tokens, never mint ones it would accept.
/// </summary>
public sealed class KeyPurposeTests : IDisposable
{
    private readonly AceTestBed _bed = new();

    public void Dispose() => _bed.Dispose();

    [Theory]
    [InlineData(TokenProtection.Sign1)]
    [InlineData(TokenProtection.Mac0)]
    public async Task A_device_given_its_own_key_file_refuses_an_Encrypt0_token_made_with_the_cnf_key_from_that_file(TokenProtection protection)
    {
        ResourceServerRecord rs = _bed.Registry.AddResourceServer("own-" + protection.ToString().ToLowerInvariant(), protection);
        Assert.Equal(CoseError.None, CoseKeySet.Decode(AuthorizationServerRegistry.KeysForResourceServer(rs), out IReadOnlyList<CoseKey> keys));
        using var device = new SimulatedDevice(new SimulatedDeviceOptions { Audience = rs.Audience, AsKeys = keys });
        IPEndPoint at = device.Start(new IPEndPoint(IPAddress.Loopback, 0));

        // Whoever holds the key file can copy the AES-CCM key without its key_ops and mint an Encrypt0 token with it.
        using CoseKey stolen = WithoutKeyOps(keys.Single(k => k.KeyType == CoseKeyType.Symmetric && CoseAlgorithm.FromId(k.Algorithm)!.Kind == CoseAlgorithmKind.Aead));
        AccessTokenFile forged;
        using (var minter = new AccessTokenMinter([stolen]))
        {
            forged = minter.Mint(new TokenMintRequest { Audience = rs.Audience, Scope = AccessScope.Parse("[[\"/temp\",1],[\"/led\",5],[\"/config\",4]]"), Protection = TokenProtection.Encrypt0 });
        }

        using var client = new AceOscoreClient(forged, new Uri("coap://127.0.0.1:" + at.Port), new AceOscoreClientOptions { Coap = new CoapClientOptions { Timeout = TimeSpan.FromSeconds(10) } });
        var e = await Assert.ThrowsAsync<AceTokenRejectedException>(() => client.GetAsync(new Uri("coap://127.0.0.1:" + at.Port + "/temp")));
        Assert.Equal(CoapCode.Unauthorized, e.Response.Code);
        Assert.Equal(AceRsErrors.Name(AceRsError.TokenTypeNotAccepted), e.Description);
        Assert.Equal(0, device.ActiveSlots);
        Assert.Contains(device.Decisions, d => d.Kind == AceDecisionKind.TokenRejected && d.Reason == AceRsError.TokenTypeNotAccepted);
        Assert.DoesNotContain(device.Decisions, d => d.Kind == AceDecisionKind.TokenStored);
        foreach (CoseKey k in keys)
        {
            k.Dispose();
        }
    }

    [Fact]
    public void The_key_file_of_a_sign1_rs_holds_a_verify_only_public_key_and_an_unwrap_only_cnf_key()
    {
        ResourceServerRecord rs = _bed.Registry.AddResourceServer("sig-file", TokenProtection.Sign1);
        Assert.Equal(CoseError.None, CoseKeySet.Decode(AuthorizationServerRegistry.KeysForResourceServer(rs), out IReadOnlyList<CoseKey> keys));
        Assert.Equal(2, keys.Count);
        CoseKey verify = keys.Single(k => k.Algorithm == CoseAlgorithm.ES256.Id);
        Assert.False(verify.HasPrivateKey);
        Assert.Equal([CoseKeyOperation.Verify], Ops(verify));
        CoseKey cnf = keys.Single(k => k.Algorithm == CoseAlgorithm.AesCcm16_64_128.Id);
        Assert.Equal([CoseKeyOperation.UnwrapKey], Ops(cnf));
        foreach (CoseKey k in keys)
        {
            k.Dispose();
        }
    }

    [Theory]
    [InlineData(TokenProtection.Mac0, 4, CoseKeyOperation.MacVerify)]
    [InlineData(TokenProtection.Encrypt0, 10, CoseKeyOperation.Decrypt)]
    public void The_key_file_of_a_mac0_or_encrypt0_rs_marks_the_token_key_for_verification_only(TokenProtection protection, int tokenAlg, int tokenOp)
    {
        ResourceServerRecord rs = _bed.Registry.AddResourceServer("file-" + protection.ToString().ToLowerInvariant(), protection);
        Assert.Equal(CoseError.None, CoseKeySet.Decode(AuthorizationServerRegistry.KeysForResourceServer(rs), out IReadOnlyList<CoseKey> keys));
        Assert.Equal([tokenOp], Ops(keys.Single(k => k.Algorithm == tokenAlg)));
        if (protection == TokenProtection.Mac0)
        {
            Assert.Equal([CoseKeyOperation.UnwrapKey], Ops(keys.Single(k => k.Algorithm == 10)));
        }
        else
        {
            Assert.Single(keys);
        }

        foreach (CoseKey k in keys)
        {
            k.Dispose();
        }
    }

    private static int[] Ops(CoseKey key) => Enumerable.Range(1, 10).Where(op => key.HasKeyOperations && key.Permits(op)).ToArray();

    // The key as the holder of the file can re-encode it: same kty, kid, alg and k, key_ops dropped.
    private static CoseKey WithoutKeyOps(CoseKey key)
    {
        byte[] encoded = key.Encode();
        var r = new CborReader(encoded, 0, encoded.Length);
        int n = r.ReadStartMap();
        byte[]? k = null;
        byte[]? kid = null;
        for (int i = 0; i < n; i++)
        {
            int label = r.ReadInt32();
            switch (label)
            {
                case CoseKeyLabel.K:
                    k = r.ReadByteString();
                    break;
                case CoseKeyLabel.Kid:
                    kid = r.ReadByteString();
                    break;
                default:
                    r.SkipValue();
                    break;
            }
        }

        CoseKey copy = CoseKey.Symmetric(k!, key.Algorithm, kid);
        Array.Clear(k!);
        Array.Clear(encoded);
        return copy;
    }
}
