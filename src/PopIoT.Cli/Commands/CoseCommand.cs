using System.CommandLine;
using PopIoT.Core.Cbor;
using PopIoT.Core.Cose;
using PopIoT.Cose;
using PopIoT.Crypto;
using PopIoT.Core;

namespace PopIoT.Cli.Commands;

/// <summary><c>popiot cose verify|create</c>: COSE_Mac0, COSE_Encrypt0 and COSE_Sign1 (RFC 9052).</summary>
internal static class CoseCommand
{
    public static Command Create(CliContext io)
    {
        return new Command("cose", "Create and verify COSE messages (RFC 9052/9053): Mac0, Encrypt0, Sign1.")
        {
            Verify(io),
            CreateCommand(io),
        };
    }

    private static Command Verify(CliContext io)
    {
        var message = new Argument<string>("message") { Description = "The COSE message: HEX, @FILE or -. Tagged (16, 17, 18, also inside CWT tag 61) or untagged." };
        var key = new Option<string>("--key") { Description = "The COSE_Key (HEX or @FILE). Its alg pins the algorithm.", Required = true };
        var aad = new Option<string>("--external-aad") { Description = "external_aad as HEX (RFC 9052 §4.3); empty by default." };
        var alg = new Option<string>("--alg") { Description = "The algorithm to pin when the key has no alg (name or number)." };
        var cmd = new Command("verify", "Verify a Mac0 or Sign1, or decrypt an Encrypt0, and print the payload as hex. Exit 1 with the reason when it does not verify.")
        {
            message, key, aad, alg,
        };
        cmd.SetAction(p => RunVerify(io, p.GetValue(message)!, p.GetValue(key)!, p.GetValue(aad), p.GetValue(alg)));
        return cmd;
    }

    private static Command CreateCommand(CliContext io)
    {
        var type = new Argument<string>("type") { Description = "mac0, encrypt0 or sign1." };
        type.AcceptOnlyFromAmong("mac0", "encrypt0", "sign1");
        var key = new Option<string>("--key") { Description = "The COSE_Key (HEX or @FILE): symmetric for mac0/encrypt0, a private EC2/OKP key for sign1.", Required = true };
        var alg = new Option<string>("--alg") { Description = "The algorithm, by name or number (HMAC 256/64, AES-CCM-16-64-128, A128GCM, ES256, EdDSA ...).", Required = true };
        var payload = new Option<string>("--payload") { Description = "The payload as HEX (or @FILE, -).", Required = true };
        var kid = new Option<string>("--kid") { Description = "A kid (HEX) to put in the unprotected header (replaces the key's own kid)." };
        var iv = new Option<string>("--iv") { Description = "encrypt0: the IV as HEX; a fresh random IV when omitted. Never reuse an IV with the same key." };
        var aad = new Option<string>("--external-aad") { Description = "external_aad as HEX (RFC 9052 §4.3)." };
        var untagged = new Option<bool>("--untagged") { Description = "Leave out the COSE CBOR tag." };
        var cmd = new Command("create", "Create a COSE message and print it as hex.")
        {
            type, key, alg, payload, kid, iv, aad, untagged,
        };
        cmd.SetAction(p => RunCreate(io, p.GetValue(type)!, p.GetValue(key)!, p.GetValue(alg)!, p.GetValue(payload)!, p.GetValue(kid), p.GetValue(iv), p.GetValue(aad), p.GetValue(untagged)));
        return cmd;
    }

    private static int RunVerify(CliContext io, string messageArg, string keyArg, string? aadArg, string? algArg)
    {
        byte[] msg = CliInput.Resolve(messageArg, io.Stdin);
        byte[] aad = aadArg == null ? [] : CliInput.ParseHex(aadArg, "--external-aad");
        using CoseKey key = CliKeys.ParseKey(keyArg, io.Stdin);
        int pinned = algArg == null ? 0 : CliKeys.ParseAlgorithm(algArg).Id;
        var provider = PlatformCryptoProvider.Instance;

        CoseTag.PeelCwtTag(msg, 0, msg.Length, out int offset, out int count);
        ulong type = MessageType(msg, offset, count, key);
        var result = new CoseResult();
        CoseError error;
        byte[]? plaintext = null;
        switch (type)
        {
            case CoseTag.Mac0:
                using (var mac0 = pinned == 0 ? new CoseMac0(provider, key) : new CoseMac0(provider, key, pinned))
                {
                    error = mac0.Verify(msg, offset, count, aad, 0, aad.Length, result);
                }

                break;
            case CoseTag.Sign1:
                using (var sign1 = pinned == 0 ? new CoseSign1(provider, key) : new CoseSign1(provider, key, pinned))
                {
                    error = sign1.Verify(msg, offset, count, aad, 0, aad.Length, result);
                }

                break;
            default:
                plaintext = new byte[count];
                using (var enc0 = pinned == 0 ? new CoseEncrypt0(provider, key) : new CoseEncrypt0(provider, key, pinned))
                {
                    error = enc0.Decrypt(new ByteRange(msg, offset, count), ByteRange.Of(aad), ByteRange.Of(plaintext), result);
                }

                break;
        }

        if (error != CoseError.None)
        {
            string where = error == CoseError.Malformed ? $" (at byte {result.ErrorOffset})" : "";
            io.Error.WriteLine($"popiot: rejected: {error}: {CoseErrorText.Describe(error)}{where}");
            // docs/cli.md: input that is not well-formed COSE (truncated, wrong structure) is malformed (2), not a failed check (1).
            return error == CoseError.Malformed ? ExitCodes.BadInput : ExitCodes.Rejected;
        }

        byte[] source = plaintext ?? msg;
        io.Out.WriteLine(Convert.ToHexStringLower(source.AsSpan(result.PayloadOffset, result.PayloadLength)));
        if (plaintext != null)
        {
            Array.Clear(plaintext);
        }

        return ExitCodes.Ok;
    }

    // The COSE tag says the type; untagged, a 3-array is Encrypt0 and a 4-array is Mac0 for a
    // symmetric key and Sign1 for an asymmetric one (RFC 9052 §2: untagged types are known from context).
    private static ulong MessageType(byte[] msg, int offset, int count, CoseKey key)
    {
        try
        {
            var r = new CborReader(msg, offset, count);
            if (r.PeekState() == CborReaderState.Tag)
            {
                ulong tag = r.ReadTag();
                return tag is CoseTag.Mac0 or CoseTag.Sign1 or CoseTag.Encrypt0 ? tag : CoseTag.Mac0;
            }

            if (r.PeekState() == CborReaderState.StartArray && r.ReadStartArray() == 3)
            {
                return CoseTag.Encrypt0;
            }
        }
        catch (CborException)
        {
            // Malformed: let the verifier report it with its offset.
        }

        return key.KeyType == CoseKeyType.Symmetric ? (ulong)CoseTag.Mac0 : CoseTag.Sign1;
    }

    private static int RunCreate(CliContext io, string type, string keyArg, string algArg, string payloadArg, string? kidArg, string? ivArg, string? aadArg, bool untagged)
    {
        CoseAlgorithm alg = CliKeys.ParseAlgorithm(algArg);
        CoseAlgorithmKind wanted = type switch
        {
            "mac0" => CoseAlgorithmKind.Mac,
            "encrypt0" => CoseAlgorithmKind.Aead,
            _ => CoseAlgorithmKind.Signature,
        };
        if (alg.Kind != wanted)
        {
            throw new CliUsageException($"{alg.Name} is not a {type} algorithm");
        }

        byte[] payload = CliInput.Resolve(payloadArg, io.Stdin);
        byte[] aad = aadArg == null ? [] : CliInput.ParseHex(aadArg, "--external-aad");
        CoseKey key = CliKeys.ParseKey(keyArg, io.Stdin);
        if (kidArg != null)
        {
            CoseKey old = key;
            key = CliKeys.WithKid(old, CliInput.ParseHex(kidArg, "--kid"));
            old.Dispose();
        }

        if (key.HasAlgorithm && key.Algorithm != alg.Id)
        {
            string keyAlg = CoseAlgorithm.FromId(key.Algorithm)?.Name ?? key.Algorithm.ToString(System.Globalization.CultureInfo.InvariantCulture);
            key.Dispose();
            throw new CliUsageException($"the key is pinned to {keyAlg}, not {alg.Name}");
        }

        var provider = PlatformCryptoProvider.Instance;
        bool includeKid = key.KidLength > 0;
        byte[] output = new byte[payload.Length + aad.Length + 256];
        int n;
        try
        {
            switch (type)
            {
                case "mac0":
                    using (var mac0 = new CoseMac0(provider, key, alg.Id))
                    {
                        CheckKey(mac0.KeyError);
                        n = mac0.Create(ByteRange.Of(payload), ByteRange.Of(aad), includeKid, !untagged, ByteRange.Of(output));
                    }

                    break;
                case "encrypt0":
                    byte[] iv = ivArg != null ? CliInput.ParseHex(ivArg, "--iv") : RandomIv(alg.NonceSize);
                    if (iv.Length != alg.NonceSize)
                    {
                        throw new CliUsageException($"--iv must be {alg.NonceSize} bytes for {alg.Name} (got {iv.Length})");
                    }

                    using (var enc0 = new CoseEncrypt0(provider, key, alg.Id))
                    {
                        CheckKey(enc0.KeyError);
                        n = enc0.Create(ByteRange.Of(payload), ByteRange.Of(aad), iv, includeKid, !untagged, ByteRange.Of(output));
                    }

                    break;
                default:
                    using (var sign1 = new CoseSign1(provider, key, alg.Id))
                    {
                        CheckKey(sign1.KeyError);
                        if (!key.HasPrivateKey)
                        {
                            throw new CliUsageException("sign1 needs a private key (d); this COSE_Key is public only");
                        }

                        n = sign1.Create(ByteRange.Of(payload), ByteRange.Of(aad), includeKid, !untagged, ByteRange.Of(output));
                    }

                    break;
            }
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException(e.Message);
        }
        finally
        {
            key.Dispose();
        }

        io.Out.WriteLine(Convert.ToHexStringLower(output.AsSpan(0, n)));
        return ExitCodes.Ok;
    }

    private static void CheckKey(CoseError error)
    {
        if (error != CoseError.None)
        {
            throw new CliUsageException($"the key cannot be used: {error}: {CoseErrorText.Describe(error)}");
        }
    }

    private static byte[] RandomIv(int size)
    {
        byte[] iv = new byte[size];
        PlatformCryptoProvider.Instance.Random.GetBytes(iv, 0, size);
        return iv;
    }
}
