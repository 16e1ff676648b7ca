using PopIoT.Core;
using PopIoT.Core.Ace;
using PopIoT.Core.Cbor;
using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;
using PopIoT.Core.Cwt;
using PopIoT.Device;

namespace PopIoT.Ace;

/// <summary>
/// coap_dtls tokens (RFC 9202 §3). PSK mode, one of three forms: a fresh PSK as a COSE_Key (kty Symmetric, kid, k) in
/// the cnf of an Encrypt0 token, or sealed as an Encrypted_COSE_Key (RFC 8747 §3.3) in a Mac0 or Sign1 token; or, when
/// the minter holds a key derivation key, a cnf with only the kid, { 3: kid } (RFC 8747 §3.4), and the PSK derived from
/// the token (RFC 9202 §3.3, <see cref="AceDtlsKeyDerivation"/>). RPK mode: the client's public key in cnf (§3.2.1). An update of access
/// rights names the session's PSK by its kid (§4).
/// </summary>
public sealed partial class AccessTokenMinter
{
    /// <summary>The PSK length: 16 bytes, the L of RFC 9202 §3.3's example for AES-128-CCM_8.</summary>
    public const int PskLength = 16;

    /// <summary>The length of the random kid of a PSK.</summary>
    public const int PskKidLength = 8;

    // Bounded so that a KidInUse that always answers true cannot spin for ever.
    private const int KidAttempts = 16;

    /// <summary>
    /// True for a key derivation key (RFC 9202 §3.3; <see cref="AsKeyPurposes.IsDerivationKey"/>: symmetric, key_ops
    /// exactly [derive key]). A key whose key_ops permit derive key and another purpose is refused, so the key never
    /// protects a token and no token key derives.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <returns>Whether it is the derivation key.</returns>
    /// <exception cref="ArgumentException">It permits derive key and another operation, or is not symmetric.</exception>
    internal static bool CheckDerivationKey(CoseKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (AsKeyPurposes.IsDerivationKey(key))
        {
            return true;
        }

        if (key.HasKeyOperations && key.Permits(CoseKeyOperation.DeriveKey))
        {
            throw new ArgumentException("a key derivation key must be symmetric with key_ops [derive key] (7) and no other purpose (RFC 9052 §7.1, RFC 9202 §3.3)");
        }

        return false;
    }

    /// <summary>Whether this minter derives PSKs (it holds a key derivation key): its PSK tokens carry only a kid in cnf.</summary>
    public bool DerivesPsk => _derivationKey != null;

    /// <summary>The PSK of a token whose cnf holds only a kid (RFC 9202 §3.3): HKDF-SHA256 over the token bytes.</summary>
    /// <param name="derivationKey">The key derivation key shared with the RS.</param>
    /// <param name="accessToken">The token as sent.</param>
    /// <param name="length">L, the PSK length in bytes.</param>
    /// <returns>The PSK.</returns>
    public static byte[] DerivePsk(CoseKey derivationKey, byte[] accessToken, int length = PskLength)
    {
        ArgumentNullException.ThrowIfNull(accessToken);
        ArgumentNullException.ThrowIfNull(derivationKey);
        if (!AsKeyPurposes.IsDerivationKey(derivationKey))
        {
            throw new ArgumentException("the key's key_ops do not permit derive key (7): a token key never derives (RFC 9052 §7.1)");
        }

        byte[] ikm = SymmetricK(derivationKey);
        byte[] psk = new byte[length];
        try
        {
            using var kdf = new AceDtlsKeyDerivation(accessToken.Length);
            kdf.Derive(ByteRange.Of(ikm), ByteRange.Of(accessToken), psk, 0, length);
        }
        finally
        {
            CryptoBytes.Clear(ikm);
        }

        return psk;
    }

    /// <summary>The length of k of a symmetric key, in bytes (0 when it has none).</summary>
    /// <param name="key">The key.</param>
    /// <returns>The length.</returns>
    public static int DerivationKeyLength(CoseKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.KeyType != CoseKeyType.Symmetric)
        {
            return 0;
        }

        byte[] k = SymmetricK(key);
        CryptoBytes.Clear(k);
        return k.Length;
    }

    private AccessTokenFile MintDtls(TokenMintRequest request, TokenProtection protection, CwtIssuer issuer)
    {
        if (request.ClientPublicKey != null && request.UpdateKid != null)
        {
            throw new ArgumentException("give a client public key (RPK mode) or the kid of an update (PSK mode), not both");
        }

        byte[]? kid = null;
        byte[]? psk = null;
        bool derive = false;
        using CwtClaimsBuilder claims = CommonClaims(request, out byte[] cti, out long lifetime, out long? exp);
        if (request.ClientPublicKey is CoseKey client)
        {
            // RFC 9202 §3.2.1: the client's raw public key, so the RS accepts the handshake with that key only.
            if (client.KeyType != CoseKeyType.Ec2 || client.Curve != CoseCurve.P256 || client.HasPrivateKey)
            {
                throw new ArgumentException("the client's key must be a public EC2 P-256 COSE_Key, without d (RFC 9202 §3.2.1, TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8)");
            }

            claims.SetConfirmationKey(client);
        }
        else if (request.UpdateKid != null)
        {
            // RFC 9202 §4: the new token names the PSK of the existing session; the client keeps its key.
            kid = request.UpdateKid;
            claims.SetConfirmationKid(kid);
        }
        else
        {
            kid = request.PskKid ?? NewKid(request.KidInUse);
            if (_derivationKey != null)
            {
                // RFC 9202 §3.3: only the kid (RFC 8747 §3.4); the RS derives the PSK from the token with the key it
                // shares with the AS. The kid is new for this RS, which tells it from an update naming a kid it holds (§4).
                claims.SetConfirmationKid(kid);
                derive = true;
            }
            else
            {
                psk = Random(PskLength);
                using CoseKey pop = CoseKey.Symmetric(psk, 0, kid);
                if (protection == TokenProtection.Encrypt0)
                {
                    // RFC 9202 §3.3: a token that carries the symmetric key must be a COSE_Encrypt0.
                    claims.SetConfirmationKey(pop);
                }
                else
                {
                    // RFC 8747 §3.3: in a Mac0 or Sign1 token the key travels sealed for the RS.
                    claims.SetConfirmationEncryptedKey(pop, _cnfSealer ?? throw new ArgumentException(
                        AsName(protection) + " protection of a coap_dtls token with its PSK needs an AEAD AS–RS key with key_ops wrap key: the PSK travels as an Encrypted_COSE_Key (RFC 8747 §3.3)"), null);
                }
            }
        }

        byte[] token = issuer.Create(claims);
        if (derive)
        {
            psk = DerivePsk(_derivationKey!, token);
        }

        return new AccessTokenFile(token, [], [])
        {
            Profile = AceProfile.CoapDtls,
            PskKid = kid,
            Psk = psk,
            RsPublicKey = request.RsPublicKey,
            Cti = cti,
            Audience = request.Audience,
            Scope = request.Scope,
            Protection = protection,
            ExpiresIn = lifetime,
            Expiration = exp,
            Exi = request.Exi,
        };
    }

    private byte[] NewKid(Func<byte[], bool>? inUse)
    {
        for (int i = 0; i < KidAttempts; i++)
        {
            byte[] kid = Random(PskKidLength);
            if (inUse == null || !inUse(kid))
            {
                return kid;
            }
        }

        throw new InvalidOperationException("no unused kid after " + KidAttempts + " random draws (RFC 9202 §3.3)");
    }

    private static string AsName(TokenProtection protection) => protection.ToString().ToLowerInvariant();

    // The k of a symmetric COSE_Key, read from its encoding (Core keeps k private).
    private static byte[] SymmetricK(CoseKey key)
    {
        byte[] encoded = key.Encode();
        try
        {
            var r = new CborReader(encoded);
            int n = r.ReadStartMap();
            for (int i = 0; i < n; i++)
            {
                if (r.ReadInt64() == CoseKeyLabel.K)
                {
                    return r.ReadByteString();
                }

                r.SkipValue();
            }

            throw new ArgumentException("the symmetric key has no k");
        }
        finally
        {
            CryptoBytes.Clear(encoded);
        }
    }
}
