using System.CommandLine;
using System.Security.Cryptography;
using Org.BouncyCastle.Math.EC.Rfc8032;
using PopIoT.Core.Cose;
using PopIoT.Crypto;
using PopIoT.IO;

namespace PopIoT.Cli.Commands;

/// <summary><c>popiot key new</c>: fresh COSE_Keys (RFC 9052 §7, RFC 9053 §6–7) from the platform CSPRNG.</summary>
internal static class KeyCommand
{
    public static Command Create(CliContext io)
    {
        var kty = new Option<string>("--kty") { Description = "oct (symmetric), EC2 (P-256) or OKP (Ed25519).", Required = true };
        kty.AcceptOnlyFromAmong("oct", "EC2", "OKP", "Symmetric");
        var alg = new Option<string>("--alg") { Description = "Pin the key to an algorithm (name or number). Defaults: EC2 ES256, OKP EdDSA; oct has no default." };
        var kid = new Option<string>("--kid") { Description = "The key identifier as HEX." };
        var size = new Option<int?>("--size") { Description = "oct only: key size in bytes (default: the algorithm's key size, or 32)." };
        var publicOut = new Option<string>("--public-out") { Description = "EC2/OKP: also write the public COSE_Key (hex text) to this file." };
        var output = new Option<string>("--out", "-o") { Description = "Write the key (hex text) to this file, created owner-only (0600), instead of printing it." };
        var force = AsCommand.ForceOption();
        var purpose = new Option<string>("--purpose")
        {
            Description = "The one purpose written in key_ops (RFC 9052 §7.1): token (default; MAC create+verify, encrypt+decrypt, or sign+verify with the public key verify only) or cnf (AEAD only: wrap+unwrap the Encrypted_COSE_Key in a token's cnf, never a token) or derive (oct without --alg: key_ops [derive key] only, the key derivation key of the DTLS profile, RFC 9202 §3.3). A key without --alg gets no key_ops, except for derive.",
            DefaultValueFactory = _ => "token",
        };
        purpose.AcceptOnlyFromAmong("token", "cnf", "derive");
        var cmd = new Command("new", "Make a new COSE_Key and print it as hex (or write it owner-only with --out). It holds secret key material: keep it safe.")
        {
            kty, alg, kid, size, publicOut, purpose, output, force,
        };
        cmd.SetAction(p => New(io, new KeyRequest(p.GetValue(kty)!, p.GetValue(alg), p.GetValue(kid), p.GetValue(size), p.GetValue(purpose) == "cnf", p.GetValue(purpose) == "derive"), p.GetValue(publicOut), p.GetValue(output), p.GetValue(force)));
        return new Command("key", "Make COSE keys.") { cmd };
    }

    private sealed record KeyRequest(string Kty, string? Alg, string? Kid, int? Size, bool Cnf, bool Derive);

    private static int New(CliContext io, KeyRequest r, string? publicOut, string? output, bool force)
    {
        (string kty, string? algArg, string? kidArg, int? size, bool cnf) = (r.Kty, r.Alg, r.Kid, r.Size, r.Cnf);
        if (output != null && publicOut != null && Path.GetFullPath(output) == Path.GetFullPath(publicOut))
        {
            throw new CliUsageException("--out and --public-out name the same file");
        }

        try
        {
            // Refuse before making the key, so nothing is half written.
            if (output != null)
            {
                SecretFile.CheckWritable(output, force);
            }

            if (publicOut != null)
            {
                SecretFile.CheckWritable(publicOut, force);
            }
        }
        catch (TargetExistsException e)
        {
            throw new CliUsageException(AsCommand.ExistsMessage(e));
        }

        CoseAlgorithm? alg = algArg == null ? null : CliKeys.ParseAlgorithm(algArg);
        if (cnf && (kty is not ("oct" or "Symmetric") || alg?.Kind != CoseAlgorithmKind.Aead))
        {
            throw new CliUsageException("--purpose cnf needs an AEAD key (--kty oct --alg AES-CCM-16-64-128 ...): it seals the PoP key in cnf (RFC 8747 §3.3)");
        }

        if (r.Derive && (kty is not ("oct" or "Symmetric") || alg != null))
        {
            throw new CliUsageException("--purpose derive needs a symmetric key without --alg (--kty oct): it only derives DTLS PSKs with HKDF-SHA256 (RFC 9202 §3.3)");
        }

        byte[]? kid = kidArg == null ? null : CliInput.ParseHex(kidArg, "--kid");
        CoseKey key;
        switch (kty)
        {
            case "oct":
            case "Symmetric":
                if (alg != null && alg.Kind == CoseAlgorithmKind.Signature)
                {
                    throw new CliUsageException($"{alg.Name} needs an asymmetric key (--kty EC2 or OKP)");
                }

                if (publicOut != null)
                {
                    throw new CliUsageException("a symmetric key has no public part; --public-out applies to EC2 and OKP keys");
                }

                int n = size ?? alg?.KeySize ?? 32;
                if (alg != null && alg.Kind == CoseAlgorithmKind.Aead && n != alg.KeySize)
                {
                    throw new CliUsageException($"{alg.Name} needs a {alg.KeySize}-byte key, not {n}");
                }

                if (n is < 16 or > 64 || (alg?.Kind == CoseAlgorithmKind.Mac && n < 32))
                {
                    throw new CliUsageException("--size must be 16..64 bytes, and at least 32 for HMAC (RFC 9053 §3.1)");
                }

                byte[] k = new byte[n];
                PlatformCryptoProvider.Instance.Random.GetBytes(k, 0, n);
                key = CoseKey.Symmetric(k, alg?.Id ?? 0, kid);
                CryptographicOperations.ZeroMemory(k);
                break;
            case "EC2":
                RequireSignature(alg, CoseAlgorithm.ES256, size);
                using (ECDsa ec = ECDsa.Create(ECCurve.NamedCurves.nistP256))
                {
                    ECParameters p = ec.ExportParameters(includePrivateParameters: true);
                    key = CoseKey.Ec2P256(p.Q.X!, p.Q.Y!, p.D!, CoseAlgorithm.ES256.Id, kid);
                    CryptographicOperations.ZeroMemory(p.D);
                }

                break;
            default: // OKP
                RequireSignature(alg, CoseAlgorithm.EdDSA, size);
                byte[] seed = new byte[Ed25519.SecretKeySize];
                PlatformCryptoProvider.Instance.Random.GetBytes(seed, 0, seed.Length);
                byte[] x = new byte[Ed25519.PublicKeySize];
                Ed25519.GeneratePublicKey(seed, 0, x, 0);
                key = CoseKey.OkpEd25519(x, seed, CoseAlgorithm.EdDSA.Id, kid);
                CryptographicOperations.ZeroMemory(seed);
                break;
        }

        // RFC 9052 §7.1: one purpose per key; both sides of it, since the AS and the RS hold the same symmetric key.
        CoseAlgorithmKind? kind = key.HasAlgorithm ? CoseAlgorithm.FromId(key.Algorithm)?.Kind : null;
        int[]? ops = kind switch
        {
            CoseAlgorithmKind.Aead when cnf => [CoseKeyOperation.WrapKey, CoseKeyOperation.UnwrapKey],
            CoseAlgorithmKind.Aead => [CoseKeyOperation.Encrypt, CoseKeyOperation.Decrypt],
            CoseAlgorithmKind.Mac => [CoseKeyOperation.MacCreate, CoseKeyOperation.MacVerify],
            CoseAlgorithmKind.Signature => [CoseKeyOperation.Sign, CoseKeyOperation.Verify],
            _ => null,
        };
        ops = r.Derive ? [CoseKeyOperation.DeriveKey] : ops;
        if (ops != null)
        {
            key.SetKeyOperations(ops);
        }

        using (key)
        {
            byte[] encoded = key.Encode();
            try
            {
                if (publicOut != null)
                {
                    // Not secret, but written the same way: never over an existing file (it may be the private key).
                    using CoseKey pub = key.ToPublicKey();
                    pub.SetKeyOperations([CoseKeyOperation.Verify]);
                    SecretFile.WriteText(publicOut, Convert.ToHexStringLower(pub.Encode()) + "\n", force);
                }

                if (output != null)
                {
                    SecretFile.WriteText(output, Convert.ToHexStringLower(encoded) + "\n", force);
                }
                else
                {
                    io.Out.WriteLine(Convert.ToHexStringLower(encoded));
                }
            }
            catch (TargetExistsException e)
            {
                throw new CliUsageException(AsCommand.ExistsMessage(e));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliUsageException($"cannot write the key: {e.Message}");
            }
            finally
            {
                CryptographicOperations.ZeroMemory(encoded);
            }
        }

        return ExitCodes.Ok;
    }

    private static void RequireSignature(CoseAlgorithm? alg, CoseAlgorithm expected, int? size)
    {
        if (alg != null && alg.Id != expected.Id)
        {
            throw new CliUsageException($"this key type is used with {expected.Name}, not {alg.Name}");
        }

        if (size != null)
        {
            throw new CliUsageException("--size applies to oct keys only");
        }
    }
}
