using PopIoT.Ace;
using PopIoT.Core.Ace;
using PopIoT.Core.Cose;

namespace PopIoT.Device;

/// <summary>
/// Gives each AS–RS key of a device exactly one purpose (docs/ace-rs.md, Key purposes): the device's token protection
/// picks the one token key (a MAC key verifies Mac0, an AEAD key decrypts Encrypt0, a public key verifies Sign1) and,
/// on a mac0 or sign1 device, the AEAD key only unwraps the Encrypted_COSE_Key in cnf (RFC 8747 §3.3). A key whose
/// key_ops (RFC 9052 §7.1) do not permit its purpose, or a key with no purpose under the protection, is refused, so
/// the cnf key of a key file never verifies a token.
/// </summary>
public static class AsKeyPurposes
{
    private static readonly string[] OperationNames =
        ["", "sign", "verify", "encrypt", "decrypt", "wrap key", "unwrap key", "derive key", "derive bits", "MAC create", "MAC verify"];

    /// <summary>
    /// The protection a key set implies when none is configured: Sign1 when it holds a signature key, else Mac0 when it
    /// holds a MAC key, else Encrypt0. Each choice leaves an AEAD key of a mac0/sign1 set to the cnf only.
    /// </summary>
    /// <param name="keys">The AS–RS keys.</param>
    /// <returns>The protection.</returns>
    public static TokenProtection InferProtection(IReadOnlyList<CoseKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        bool mac = false;
        foreach (CoseKey key in keys)
        {
            CoseAlgorithmKind? kind = KindOf(key);
            if (kind == CoseAlgorithmKind.Signature)
            {
                return TokenProtection.Sign1;
            }

            mac |= kind == CoseAlgorithmKind.Mac;
        }

        return mac ? TokenProtection.Mac0 : TokenProtection.Encrypt0;
    }

    /// <summary>The COSE tag of a protection (<see cref="AceResourceServer.TokenProtection"/>).</summary>
    /// <param name="protection">The protection.</param>
    /// <returns>17 (Mac0), 18 (Sign1) or 16 (Encrypt0).</returns>
    public static int CoseTagOf(TokenProtection protection) => protection switch
    {
        TokenProtection.Mac0 => CoseTag.Mac0,
        TokenProtection.Sign1 => CoseTag.Sign1,
        _ => CoseTag.Encrypt0,
    };

    /// <summary>The protection's name as the CLI spells it.</summary>
    /// <param name="protection">The protection.</param>
    /// <returns>mac0, sign1 or encrypt0.</returns>
    public static string NameOf(TokenProtection protection) => protection switch
    {
        TokenProtection.Mac0 => "mac0",
        TokenProtection.Sign1 => "sign1",
        _ => "encrypt0",
    };

    /// <summary>Picks the one token key and the cnf key (if any) of a key set for a protection, each for its one purpose.</summary>
    /// <param name="keys">The AS–RS keys.</param>
    /// <param name="protection">The RS's token protection.</param>
    /// <param name="names">Where each key came from (e.g. the file), for the error messages; null numbers them.</param>
    /// <returns>The token key and the cnf key (or null), with the names of where each came from.</returns>
    /// <exception cref="ArgumentException">A key has no purpose, the wrong key_ops, or a purpose is taken twice; the message names the key and the purpose.</exception>
    public static AsKeySelection Select(IReadOnlyList<CoseKey> keys, TokenProtection protection, IReadOnlyList<string>? names = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            throw new ArgumentException("the device needs at least one AS–RS key");
        }

        string rs = "this " + NameOf(protection) + " device";
        CoseAlgorithmKind tokenKind = protection switch
        {
            TokenProtection.Mac0 => CoseAlgorithmKind.Mac,
            TokenProtection.Sign1 => CoseAlgorithmKind.Signature,
            _ => CoseAlgorithmKind.Aead,
        };
        (int Op, string Purpose) token = protection switch
        {
            TokenProtection.Mac0 => (CoseKeyOperation.MacVerify, "verify Mac0 tokens"),
            TokenProtection.Sign1 => (CoseKeyOperation.Verify, "verify Sign1 tokens"),
            _ => (CoseKeyOperation.Decrypt, "decrypt Encrypt0 tokens"),
        };
        const string CnfPurpose = "unwrap the Encrypted_COSE_Key in cnf";
        CoseKey? tokenKey = null;
        CoseKey? cnfKey = null;
        CoseKey? derivationKey = null;
        string tokenName = "";
        string cnfName = "";
        for (int i = 0; i < keys.Count; i++)
        {
            CoseKey key = keys[i];
            string name = names != null && i < names.Count ? names[i] : "AS–RS key " + (i + 1);

            // RFC 9202 §3.3: the coap_dtls key derivation key has that one purpose, key_ops exactly [derive key].
            if (IsDerivationKey(key))
            {
                if (derivationKey != null)
                {
                    throw new ArgumentException(name + ": a second key derivation key; " + rs + " holds one key per purpose");
                }

                derivationKey = key;
                continue;
            }

            if (key.HasKeyOperations && key.Permits(CoseKeyOperation.DeriveKey))
            {
                throw new ArgumentException(name + ": key_ops " + OpsText(key) + " mix derive key with other purposes; a key derivation key (RFC 9202 §3.3) has key_ops [derive key] only (RFC 9052 §7.1)");
            }
            CoseAlgorithmKind kind = KindOf(key)
                ?? throw new ArgumentException(name + ": an AS–RS key must be pinned to a MAC, AEAD or signature alg (the token must not choose it)");
            bool isCnf = kind == CoseAlgorithmKind.Aead && (protection != TokenProtection.Encrypt0 || MarkedForKeysOnly(key));
            if (kind != tokenKind && !isCnf)
            {
                throw new ArgumentException(name + ": a " + kind.ToString().ToUpperInvariant() + " key has no purpose on " + rs
                    + " (it would verify tokens of another protection); give the key set of its protection");
            }

            // RFC 9052 §7.1: one purpose per key; a key whose key_ops allow both a token and the cnf is refused.
            if (kind == CoseAlgorithmKind.Aead && key.HasKeyOperations && key.Permits(CoseKeyOperation.Decrypt) && key.Permits(CoseKeyOperation.UnwrapKey))
            {
                throw new ArgumentException(name + ": key_ops " + OpsText(key) + " allow both decrypting tokens and unwrapping cnf keys; give each key one purpose (RFC 9052 §7.1)");
            }

            (int op, string purpose) = isCnf ? (CoseKeyOperation.UnwrapKey, CnfPurpose) : token;
            if (!key.Permits(op))
            {
                throw new ArgumentException(name + ": key_ops " + OpsText(key) + " do not permit " + OperationNames[op] + " (" + op
                    + "), needed to " + purpose + " on " + rs + " (RFC 9052 §7.1)");
            }

            if ((isCnf ? cnfKey : tokenKey) != null)
            {
                throw new ArgumentException(name + ": a second key to " + purpose + "; " + rs + " holds one key per purpose");
            }

            if (isCnf)
            {
                (cnfKey, cnfName) = (key, name);
            }
            else
            {
                (tokenKey, tokenName) = (key, name);
            }
        }

        if (tokenKey == null)
        {
            throw new ArgumentException("no key to " + token.Purpose + " on " + rs + ": the key set holds "
                + (cnfKey != null ? "only a key that unwraps the cnf" : "none") + "; a cnf key never verifies a token");
        }

        return new AsKeySelection(tokenKey, cnfKey, tokenName, cnfName, derivationKey);
    }

    /// <summary>Whether a key is a coap_dtls key derivation key: symmetric, with key_ops exactly [derive key] (7).</summary>
    /// <param name="key">The key.</param>
    /// <returns>True for a derivation key.</returns>
    public static bool IsDerivationKey(CoseKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.KeyType == CoseKeyType.Symmetric && key.HasKeyOperations && key.Permits(CoseKeyOperation.DeriveKey)
            && Enumerable.Range(1, 10).Count(key.Permits) == 1;
    }

    /// <summary>Sets the engine's one token key, its cnf key (if any) and pins its protection.</summary>
    /// <param name="engine">The engine.</param>
    /// <param name="keys">The AS–RS keys.</param>
    /// <param name="protection">The RS's token protection.</param>
    /// <param name="names">Where each key came from (e.g. the file), for the error messages; null numbers them.</param>
    /// <exception cref="ArgumentException">A key has no purpose, the wrong key_ops, or a purpose is taken twice; the message names the key and the purpose.</exception>
    public static void Apply(AceResourceServer engine, IReadOnlyList<CoseKey> keys, TokenProtection protection, IReadOnlyList<string>? names = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        (CoseKey tokenKey, CoseKey? cnfKey, string tokenName, string cnfName, CoseKey? derivationKey) = Select(keys, protection, names);
        if (derivationKey != null && !engine.ServesDtls)
        {
            throw new ArgumentException("a key derivation key (key_ops [derive key]) has no purpose on a device that does not serve coap_dtls (give --profile dtls or both)");
        }

        engine.TokenProtection = CoseTagOf(protection);
        try
        {
            switch (protection)
            {
                case TokenProtection.Mac0:
                    engine.SetMac0Key(tokenKey);
                    break;
                case TokenProtection.Sign1:
                    engine.SetSign1Key(tokenKey);
                    break;
                default:
                    engine.SetEncrypt0Key(tokenKey);
                    break;
            }
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException(tokenName + ": " + e.Message, e);
        }

        if (cnfKey != null)
        {
            try
            {
                engine.SetCnfDecryptionKey(cnfKey);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException(cnfName + ": " + e.Message, e);
            }
        }

        if (derivationKey != null)
        {
            engine.SetDtlsKeyDerivationKey(derivationKey);
        }
    }

    private static CoseAlgorithmKind? KindOf(CoseKey key) => key.HasAlgorithm ? CoseAlgorithm.FromId(key.Algorithm)?.Kind : null;

    // An AEAD key whose key_ops permit unwrap key but not decrypt is a cnf key even on an encrypt0 device.
    private static bool MarkedForKeysOnly(CoseKey key) =>
        key.HasKeyOperations && key.Permits(CoseKeyOperation.UnwrapKey) && !key.Permits(CoseKeyOperation.Decrypt);

    private static string OpsText(CoseKey key) =>
        "[" + string.Join(", ", Enumerable.Range(1, 10).Where(key.Permits).Select(op => OperationNames[op])) + "]";
}
