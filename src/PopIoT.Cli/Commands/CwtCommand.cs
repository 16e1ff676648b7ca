using System.CommandLine;
using PopIoT.Core.Cbor;
using PopIoT.Core.Cose;
using PopIoT.Core.Cwt;
using PopIoT.Crypto;
using PopIoT.Cose;
using PopIoT.Core;

namespace PopIoT.Cli.Commands;

/// <summary><c>popiot cwt decode|verify</c>: CBOR Web Tokens (RFC 8392).</summary>
internal static class CwtCommand
{
    public static Command Create(CliContext io)
    {
        var token = new Argument<string>("token") { Description = "The CWT: HEX, @FILE or -; a JSON file (TOKEN.json of `token mint`, or the token `coap --ace` keeps) gives its access_token." };
        var showSecrets = new Option<bool>("--show-secrets") { Description = "Print key bytes (COSE_Key k and d, OSCORE master secrets) instead of hiding them." };
        var decodeKey = new Option<string>("--key") { Description = "An AEAD COSE_Key (HEX or @FILE) that opens COSE_Encrypt0 layers, so their contents are shown too." };
        var decode = new Command("decode", "Print a CWT or COSE message in diagnostic notation with header, claim and cnf names; nested layers are opened. Verifies nothing.")
        {
            token, showSecrets, decodeKey,
        };
        decode.SetAction(p => Decode(io, p.GetValue(token)!, p.GetValue(showSecrets), p.GetValue(decodeKey)));

        var keys = new Option<string[]>("--key")
        {
            Description = "A key the RS trusts (COSE_Key as HEX or @FILE), pinned by its alg: a MAC key for Mac0 tokens, an AEAD key for Encrypt0, a public EC2/OKP key for Sign1. Repeat for nested tokens.",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
        };
        var cnfKey = new Option<string>("--cnf-key") { Description = "The AEAD key that decrypts an Encrypted_COSE_Key in cnf (RFC 8747 §3.3); defaults to an AEAD --key whose key_ops permit unwrap key (or that has none)." };
        var aud = new Option<string>("--aud") { Description = "The expected audience: aud must equal it or contain it. Without it, aud is not checked." };
        var now = new Option<long?>("--now") { Description = "Validate at this Unix time instead of the system clock." };
        var noClock = new Option<bool>("--no-clock") { Description = "Validate as a device without a clock: exp/nbf cannot be checked, exi is required (RFC 9200 §5.10.3)." };
        var skew = new Option<int>("--skew") { Description = "Allowed clock skew in seconds for exp and nbf (default 0).", DefaultValueFactory = _ => 0 };
        var verifyToken = new Argument<string>("token") { Description = "The CWT: HEX, @FILE or -; a JSON file (TOKEN.json of `token mint`, or the token `coap --ace` keeps) gives its access_token." };
        var verify = new Command("verify", "Verify a CWT and check its claims; print the claims (exit 0) or the reason it is refused (exit 1).")
        {
            keys, cnfKey, aud, now, noClock, skew, verifyToken, showSecrets,
        };
        verify.SetAction(p => Verify(io, p.GetValue(verifyToken)!, p.GetValue(keys)!, p.GetValue(cnfKey), p.GetValue(aud), p.GetValue(now), p.GetValue(noClock), p.GetValue(skew), p.GetValue(showSecrets)));
        return new Command("cwt", "Decode and verify CBOR Web Tokens (RFC 8392).") { decode, verify };
    }

    private static int Decode(CliContext io, string tokenArg, bool showSecrets, string? keyArg)
    {
        byte[] token = CliInput.ResolveToken(tokenArg, io.Stdin);
        if (token.Length == 0)
        {
            throw new CliUsageException("the token is empty");
        }

        using CoseKey? key = keyArg == null ? null : CliKeys.ParseKey(keyArg, io.Stdin);
        AnnotatedDiagnostic.Decryptor? decrypt = null;
        if (key != null)
        {
            if (!key.HasAlgorithm || CoseAlgorithm.FromId(key.Algorithm)?.Kind != CoseAlgorithmKind.Aead)
            {
                throw new CliUsageException("--key must be a COSE_Key pinned to an AEAD algorithm (it opens COSE_Encrypt0 layers)");
            }

            decrypt = (buffer, offset, count) =>
            {
                using var enc = new CoseEncrypt0(PlatformCryptoProvider.Instance, key);
                byte[] plain = new byte[count];
                var result = new CoseResult();
                if (enc.Decrypt(new ByteRange(buffer, offset, count), default(ByteRange), ByteRange.Of(plain), result) != CoseError.None)
                {
                    return null;
                }

                byte[] payload = plain.AsSpan(result.PayloadOffset, result.PayloadLength).ToArray();
                Array.Clear(plain);
                return payload;
            };
        }

        try
        {
            io.Out.WriteLine(AnnotatedDiagnostic.Format(token, showSecrets, decrypt));
            return ExitCodes.Ok;
        }
        catch (CborException e)
        {
            io.Error.WriteLine("popiot: malformed " + e.Message);
            return ExitCodes.BadInput;
        }
    }

    private static int Verify(CliContext io, string tokenArg, string[] keyArgs, string? cnfKeyArg, string? audience, long? now, bool noClock, int skew, bool showSecrets)
    {
        if (now != null && noClock)
        {
            throw new CliUsageException("--now and --no-clock exclude each other");
        }

        if (skew is < 0 or > 86400)
        {
            throw new CliUsageException("--skew must be 0..86400 seconds");
        }

        byte[] token = CliInput.ResolveToken(tokenArg, io.Stdin);
        ICwtClock clock = noClock ? CwtNoClock.Instance : new FixedClock(now ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var keys = new List<CoseKey>();
        try
        {
            using var validator = new CwtValidator(PlatformCryptoProvider.Instance, clock, audience) { ClockSkewSeconds = skew };
            if (audience == null)
            {
                validator.SetRequiredClaims([]);
            }

            CoseKey? aeadKey = null;
            using CliKeySet given = CliKeys.ParseKeys(keyArgs, io.Stdin, "--key");
            for (int i = 0; i < given.Keys.Count; i++)
            {
                CoseKey key = given.Keys[i];
                try
                {
                    SetKey(validator, key, ref aeadKey);
                }
                catch (ArgumentException e)
                {
                    // E.g. key_ops that do not permit verifying (RFC 9052 §7.1); named by argument, never by its bytes.
                    throw new CliUsageException(given.Names[i] + ": " + e.Message);
                }
            }

            if (cnfKeyArg != null)
            {
                CoseKey cnf = CliKeys.ParseKey(cnfKeyArg, io.Stdin, "--cnf-key");
                keys.Add(cnf);
                try
                {
                    validator.SetCnfDecryptionKey(cnf);
                }
                catch (ArgumentException e)
                {
                    throw new CliUsageException("--cnf-key: " + e.Message);
                }
            }
            else if (aeadKey != null)
            {
                validator.SetCnfDecryptionKey(aeadKey);
            }

            using var result = new CwtValidationResult();
            CwtError error = validator.Validate(token, 0, token.Length, result);
            if (error != CwtError.None)
            {
                io.Error.WriteLine($"popiot: rejected: {error}: {CwtErrorText.Describe(result)}");
                // docs/cli.md: bytes that are not well-formed CBOR/COSE are malformed input (2); a token that parses
                // and fails a check is rejected (1).
                bool malformed = error == CwtError.Malformed || (error == CwtError.CoseFailed && result.CoseError == CoseError.Malformed);
                return malformed ? ExitCodes.BadInput : ExitCodes.Rejected;
            }

            CwtClaims claims = result.Claims;
            byte[] claimsBytes = claims.Buffer.AsSpan(claims.MapOffset, claims.MapLength).ToArray();
            io.Out.WriteLine(AnnotatedDiagnostic.Format(claimsBytes, showSecrets));
            Array.Clear(claimsBytes);
            if (noClock)
            {
                io.Error.WriteLine($"popiot: valid without a clock; the RS must count exi = {result.ExpiresIn} s from receipt");
            }

            return ExitCodes.Ok;
        }
        finally
        {
            foreach (CoseKey k in keys)
            {
                k.Dispose();
            }
        }
    }

    // Each --key by its alg: a MAC key for Mac0, an AEAD key for Encrypt0 (and the cnf), a public key for Sign1.
    private static void SetKey(CwtValidator validator, CoseKey key, ref CoseKey? aeadKey)
    {
        CoseAlgorithm? alg = key.HasAlgorithm ? CoseAlgorithm.FromId(key.Algorithm) : null;
        if (alg == null)
        {
            throw new CliUsageException("every --key must carry a supported alg (RFC 9052 §7.1): the token must not choose the algorithm");
        }

        switch (alg.Kind)
        {
            case CoseAlgorithmKind.Mac:
                validator.SetMac0Key(key);
                break;
            case CoseAlgorithmKind.Aead:
                // RFC 9052 §7.1: a key marked for keys only (unwrap key, e.g. a mac0/sign1 RS's key file) opens the cnf
                // and never a token; one marked decrypt but not unwrap key opens tokens only.
                bool unwrapOnly = key.HasKeyOperations && key.Permits(CoseKeyOperation.UnwrapKey) && !key.Permits(CoseKeyOperation.Decrypt);
                if (!unwrapOnly)
                {
                    validator.SetEncrypt0Key(key);
                }

                if (key.Permits(CoseKeyOperation.UnwrapKey))
                {
                    aeadKey ??= key;
                }

                break;
            default:
                validator.SetSign1Key(key);
                break;
        }
    }

    private sealed class FixedClock(long unixSeconds) : ICwtClock
    {
        public bool TryGetUnixTime(out long seconds)
        {
            seconds = unixSeconds;
            return true;
        }
    }
}
