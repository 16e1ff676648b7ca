using System.Security.Cryptography;
using System.Text.Json.Nodes;
using PopIoT.Core.Cose;
using PopIoT.Crypto;
using PopIoT.Interop.Tests.Peers;
using Xunit;
using PopIoT.Core;

namespace PopIoT.Interop.Tests;

/// <summary>
/// COSE interop with cose-js 0.9.0 (an implementation nobody on PopIoT wrote), both directions,
/// 200 random keys, payloads and external_aad per message type and direction.
/// cose-js names HMAC 256/64 "HS256/64" and HMAC 256/256 "HS256"; the rest are IANA names.
/// </summary>
public sealed class CoseJsInteropTests : IClassFixture<CosePeer>
{
    private const int Cases = 200;

    private static readonly (int Alg, string CoseJsName)[] MacAlgs = [(4, "HS256/64"), (5, "HS256")];
    private static readonly (int Alg, string CoseJsName)[] CcmAlgs =
        [(10, "AES-CCM-16-64-128"), (30, "AES-CCM-16-128-128"), (12, "AES-CCM-64-64-128"), (32, "AES-CCM-64-128-128")];
    private static readonly (int Alg, string CoseJsName)[] GcmAlgs = [(1, "A128GCM"), (3, "A256GCM")];

    private readonly CosePeer _peer;

    public CoseJsInteropTests(CosePeer peer) => _peer = peer;

    private static PlatformCryptoProvider Provider => PlatformCryptoProvider.Instance;

    [SkippableFact]
    public void Mac0_created_by_popiot_verifies_in_cose_js()
    {
        PeerRequirement.Require(_peer.MissingReason);
        var rng = SeededRandomSource.NewRandom(8152);
        for (int i = 0; i < Cases; i++)
        {
            var (alg, name) = MacAlgs[i % MacAlgs.Length];
            byte[] k = Bytes(rng, 32 + rng.Next(0, 33)), payload = Bytes(rng, rng.Next(0, 300)), aad = Bytes(rng, rng.Next(0, 40)), kid = Bytes(rng, rng.Next(1, 9));
            using CoseKey key = CoseKey.Symmetric(k, alg, kid);
            using var mac0 = new CoseMac0(Provider, key);
            byte[] msg = Create(buf => mac0.Create(ByteRange.Of(payload), ByteRange.Of(aad), includeKid: rng.Next(2) == 0, tagged: true, ByteRange.Of(buf)));

            JsonObject reply = _peer.Call(new JsonObject { ["op"] = "mac0.verify", ["key"] = Hex(k), ["msg"] = Hex(msg), ["aad"] = Hex(aad) });

            Assert.True((bool?)reply["ok"], $"case {i} ({name}): cose-js refused {Hex(msg)}: {reply}");
            Assert.Equal(Hex(payload), (string?)reply["payload"]);
        }
    }

    [SkippableFact]
    public void Mac0_created_by_cose_js_verifies_in_popiot_and_fails_with_another_aad()
    {
        PeerRequirement.Require(_peer.MissingReason);
        var rng = SeededRandomSource.NewRandom(8153);
        var result = new CoseResult();
        for (int i = 0; i < Cases; i++)
        {
            var (alg, name) = MacAlgs[i % MacAlgs.Length];
            byte[] k = Bytes(rng, 32 + rng.Next(0, 33)), payload = Bytes(rng, rng.Next(0, 300)), aad = Bytes(rng, rng.Next(0, 40)), kid = Bytes(rng, rng.Next(1, 9));
            byte[] msg = PeerCreate(new JsonObject { ["op"] = "mac0.create", ["alg"] = name, ["key"] = Hex(k), ["payload"] = Hex(payload), ["aad"] = Hex(aad), ["kid"] = Hex(kid) }, i);

            using CoseKey key = CoseKey.Symmetric(k, alg, kid);
            using var mac0 = new CoseMac0(Provider, key);
            Assert.Equal(CoseError.None, mac0.Verify(msg, 0, msg.Length, aad, 0, aad.Length, result));
            Assert.Equal(payload, result.PayloadToArray());
            byte[] otherAad = [.. aad, 0x01];
            Assert.Equal(CoseError.TagMismatch, mac0.Verify(msg, 0, msg.Length, otherAad, 0, otherAad.Length, result));
        }
    }

    [SkippableFact]
    public void Encrypt0_ccm_created_by_popiot_decrypts_in_cose_js() => Encrypt0ToCoseJs(CcmAlgs, 9052);

    [SkippableFact]
    public void Encrypt0_gcm_created_by_popiot_decrypts_in_cose_js() => Encrypt0ToCoseJs(GcmAlgs, 9053);

    [SkippableFact]
    public void Encrypt0_ccm_created_by_cose_js_decrypts_in_popiot() => Encrypt0FromCoseJs(CcmAlgs, 9054);

    [SkippableFact]
    public void Encrypt0_gcm_created_by_cose_js_decrypts_in_popiot() => Encrypt0FromCoseJs(GcmAlgs, 9055);

    [SkippableFact]
    public void Sign1_es256_created_by_popiot_verifies_in_cose_js()
    {
        PeerRequirement.Require(_peer.MissingReason);
        var rng = SeededRandomSource.NewRandom(8392);
        for (int i = 0; i < Cases; i++)
        {
            using ECDsa ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            ECParameters p = ec.ExportParameters(includePrivateParameters: true);
            byte[] payload = Bytes(rng, rng.Next(0, 300)), aad = Bytes(rng, rng.Next(0, 40));
            using CoseKey key = CoseKey.Ec2P256(p.Q.X!, p.Q.Y!, p.D!, -7, null);
            using var sign1 = new CoseSign1(Provider, key);
            byte[] msg = Create(buf => sign1.Create(ByteRange.Of(payload), ByteRange.Of(aad), includeKid: false, tagged: true, ByteRange.Of(buf)));

            JsonObject reply = _peer.Call(new JsonObject { ["op"] = "sign1.verify", ["x"] = Hex(p.Q.X!), ["y"] = Hex(p.Q.Y!), ["msg"] = Hex(msg), ["aad"] = Hex(aad) });

            Assert.True((bool?)reply["ok"], $"case {i}: cose-js refused {Hex(msg)}: {reply}");
            Assert.Equal(Hex(payload), (string?)reply["payload"]);
        }
    }

    [SkippableFact]
    public void Sign1_es256_created_by_cose_js_verifies_in_popiot_and_fails_with_another_key()
    {
        PeerRequirement.Require(_peer.MissingReason);
        var rng = SeededRandomSource.NewRandom(8393);
        var result = new CoseResult();
        using ECDsa other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ECParameters op = other.ExportParameters(false);
        using CoseKey otherKey = CoseKey.Ec2P256(op.Q.X!, op.Q.Y!, null, -7, null);
        using var otherVerifier = new CoseSign1(Provider, otherKey);
        for (int i = 0; i < Cases; i++)
        {
            using ECDsa ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            ECParameters p = ec.ExportParameters(includePrivateParameters: true);
            byte[] payload = Bytes(rng, rng.Next(0, 300)), aad = Bytes(rng, rng.Next(0, 40));
            byte[] msg = PeerCreate(new JsonObject { ["op"] = "sign1.create", ["alg"] = "ES256", ["d"] = Hex(p.D!), ["payload"] = Hex(payload), ["aad"] = Hex(aad) }, i);

            using CoseKey key = CoseKey.Ec2P256(p.Q.X!, p.Q.Y!, null, -7, null);
            using var sign1 = new CoseSign1(Provider, key);
            Assert.Equal(CoseError.None, sign1.Verify(msg, 0, msg.Length, aad, 0, aad.Length, result));
            Assert.Equal(payload, result.PayloadToArray());
            Assert.Equal(CoseError.SignatureInvalid, otherVerifier.Verify(msg, 0, msg.Length, aad, 0, aad.Length, result));
        }
    }

    private void Encrypt0ToCoseJs((int Alg, string CoseJsName)[] algs, int seed)
    {
        PeerRequirement.Require(_peer.MissingReason);
        var rng = SeededRandomSource.NewRandom(seed);
        for (int i = 0; i < Cases; i++)
        {
            var (alg, name) = algs[i % algs.Length];
            CoseAlgorithm a = CoseAlgorithm.FromId(alg);
            byte[] k = Bytes(rng, a.KeySize), iv = Bytes(rng, a.NonceSize), payload = Bytes(rng, rng.Next(0, 300)), aad = Bytes(rng, rng.Next(0, 40));
            using CoseKey key = CoseKey.Symmetric(k, alg, Bytes(rng, 4));
            using var enc = new CoseEncrypt0(Provider, key);
            byte[] msg = Create(buf => enc.Create(ByteRange.Of(payload), ByteRange.Of(aad), iv, includeKid: rng.Next(2) == 0, tagged: true, ByteRange.Of(buf)));

            JsonObject reply = _peer.Call(new JsonObject { ["op"] = "encrypt0.decrypt", ["key"] = Hex(k), ["msg"] = Hex(msg), ["aad"] = Hex(aad) });

            Assert.True((bool?)reply["ok"], $"case {i} ({name}): cose-js refused {Hex(msg)}: {reply}");
            Assert.Equal(Hex(payload), (string?)reply["payload"]);
        }
    }

    private void Encrypt0FromCoseJs((int Alg, string CoseJsName)[] algs, int seed)
    {
        PeerRequirement.Require(_peer.MissingReason);
        var rng = SeededRandomSource.NewRandom(seed);
        var result = new CoseResult();
        for (int i = 0; i < Cases; i++)
        {
            var (alg, name) = algs[i % algs.Length];
            CoseAlgorithm a = CoseAlgorithm.FromId(alg);
            byte[] k = Bytes(rng, a.KeySize), iv = Bytes(rng, a.NonceSize), payload = Bytes(rng, rng.Next(0, 300)), aad = Bytes(rng, rng.Next(0, 40));
            byte[] msg = PeerCreate(new JsonObject { ["op"] = "encrypt0.create", ["alg"] = name, ["key"] = Hex(k), ["iv"] = Hex(iv), ["payload"] = Hex(payload), ["aad"] = Hex(aad), ["kid"] = Hex(Bytes(rng, 3)) }, i);

            using CoseKey key = CoseKey.Symmetric(k, alg, null);
            using var enc = new CoseEncrypt0(Provider, key);
            byte[] plain = new byte[msg.Length];
            Assert.Equal(CoseError.None, enc.Decrypt(ByteRange.Of(msg), ByteRange.Of(aad), ByteRange.Of(plain), result));
            Assert.Equal(payload, plain.AsSpan(result.PayloadOffset, result.PayloadLength).ToArray());

            // One flipped bit anywhere in the last (ciphertext or tag) byte: refused, nothing released.
            msg[^1] ^= (byte)(1 << rng.Next(8));
            Assert.Equal(CoseError.DecryptionFailed, enc.Decrypt(ByteRange.Of(msg), ByteRange.Of(aad), ByteRange.Of(plain), result));
            Assert.All(plain, b => Assert.Equal(0, b));
        }
    }

    private byte[] PeerCreate(JsonObject request, int i)
    {
        JsonObject reply = _peer.Call(request);
        Assert.True((bool?)reply["ok"], $"case {i}: cose-js could not create: {reply}");
        return Convert.FromHexString((string)reply["msg"]!);
    }

    private static byte[] Create(Func<byte[], int> create)
    {
        byte[] buffer = new byte[1024];
        int n = create(buffer);
        return buffer.AsSpan(0, n).ToArray();
    }

    private static byte[] Bytes(Random rng, int n)
    {
        byte[] b = new byte[n];
        rng.NextBytes(b);
        return b;
    }

    private static string Hex(byte[] b) => Convert.ToHexStringLower(b);
}
