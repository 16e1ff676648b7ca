using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;
using PopIoT.Core.Cwt;
using PopIoT.Crypto;

namespace PopIoT.Ace;

/// <summary>
/// The one token minter of client tools and AS (RFC 9200 §5.8.2, RFC 9203 §3.2): a CWT for one audience with scope,
/// ace_profile, exp or exi, a cti (random, or for exi tokens the RS identifier and a sequence number, see
/// <see cref="ExiCti"/>), an optional cnonce, and a fresh random OSCORE Master Secret bound in cnf (RFC 8747,
/// RFC 9203 §3.2.1) — or, for an update of access rights, the kid of the Input Material the RS holds. It returns the
/// token with the client's copy of the key material (<see cref="AccessTokenFile"/>). <c>popiot token mint</c> and the
/// AS's token endpoint both mint through it. Dispose to erase the AS keys it holds.
/// </summary>
/// <remarks>
/// Protection: <see cref="TokenProtection.Encrypt0"/> needs an AEAD AS–RS key; <see cref="TokenProtection.Mac0"/> a MAC
/// key and <see cref="TokenProtection.Sign1"/> a signing key, each plus an AEAD key that seals the Master Secret as an
/// Encrypted_COSE_Key (RFC 8747 §3.3), since it must never be readable by anyone but the RS (RFC 9203 §3.2).
/// </remarks>
public sealed class AccessTokenMinter : IDisposable
{
    /// <summary>The Master Secret length: 16 bytes (RFC 9203 §3.2.1 example; 128 bits of entropy).</summary>
    public const int MasterSecretLength = 16;

    /// <summary>The length of the random OSCORE_Input_Material id and of the cti.</summary>
    public const int IdLength = 8;

    private readonly ICryptoProvider _provider;
    private readonly CwtIssuer? _macIssuer;
    private readonly CwtIssuer? _aeadIssuer;
    private readonly CwtIssuer? _signIssuer;
    private readonly CoseEncrypt0? _cnfSealer;

    /// <summary>
    /// Binds the minter to the AS–RS keys, each pinned by its alg: at most one MAC key (HMAC) for Mac0 tokens, at most one
    /// private signing key (ES256, EdDSA) for Sign1 tokens, and an AEAD
    /// key that makes Encrypt0 tokens and seals the cnf of Mac0 tokens. key_ops (RFC 9052 §7.1), when present, give an
    /// AEAD key one of those purposes: encrypt for Encrypt0 tokens, wrap key for the cnf (then a second AEAD key may
    /// serve the other purpose).
    /// </summary>
    /// <param name="asKeys">The keys (not taken over: the caller still disposes them).</param>
    /// <param name="provider">The crypto provider, or null for <see cref="PlatformCryptoProvider"/>.</param>
    /// <exception cref="ArgumentException">No key, two of a kind, or a key without a MAC/AEAD alg; the message says which.</exception>
    public AccessTokenMinter(IEnumerable<CoseKey> asKeys, ICryptoProvider? provider = null)
    {
        ArgumentNullException.ThrowIfNull(asKeys);
        _provider = provider ?? PlatformCryptoProvider.Instance;
        CoseKey? mac = null;
        CoseKey? sign = null;
        CoseKey? tokenAead = null;
        CoseKey? cnfAead = null;
        foreach (CoseKey key in asKeys)
        {
            CoseAlgorithm? alg = key.HasAlgorithm ? CoseAlgorithm.FromId(key.Algorithm) : null;
            switch (alg?.Kind)
            {
                case CoseAlgorithmKind.Mac when mac == null:
                    mac = key;
                    break;
                case CoseAlgorithmKind.Signature when sign == null && key.HasPrivateKey:
                    sign = key;
                    break;
                case CoseAlgorithmKind.Aead:
                    // A key without key_ops permits both purposes (RFC 9052 §7.1), as before key_ops were written.
                    bool token = key.Permits(CoseKeyOperation.Encrypt);
                    bool cnf = key.Permits(CoseKeyOperation.WrapKey);
                    if ((!token && !cnf) || (token && tokenAead != null) || (cnf && cnfAead != null))
                    {
                        throw new ArgumentException(token || cnf
                            ? "give at most one AEAD key per purpose (key_ops encrypt for Encrypt0 tokens, wrap key for the cnf)"
                            : "an AEAD AS–RS key needs key_ops encrypt (3) or wrap key (5) to mint (RFC 9052 §7.1); this one is a device's key", nameof(asKeys));
                    }

                    tokenAead = token ? key : tokenAead;
                    cnfAead = cnf ? key : cnfAead;
                    break;
                case CoseAlgorithmKind.Mac:
                    throw new ArgumentException("give at most one MAC key and one AEAD key for the AS–RS keys", nameof(asKeys));
                default:
                    throw new ArgumentException("an AS–RS key must be pinned to a MAC (HMAC 256/64 ...) or AEAD (AES-CCM-16-64-128 ...) alg, or be one private signing key (ES256 ...)", nameof(asKeys));
            }
        }

        if (mac == null && sign == null && tokenAead == null && cnfAead == null)
        {
            throw new ArgumentException("at least one AS–RS key is needed", nameof(asKeys));
        }

        try
        {
            _macIssuer = mac == null ? null : new CwtIssuer(_provider, mac);
            _aeadIssuer = tokenAead == null ? null : new CwtIssuer(_provider, tokenAead);
            _signIssuer = sign == null ? null : new CwtIssuer(_provider, sign);
            _cnfSealer = cnfAead == null ? null : CoseEncrypt0.ForKeyWrap(_provider, cnfAead);
        }
        catch
        {
            Dispose();
            throw;
        }

        DefaultProtection = _macIssuer == null && _signIssuer != null ? TokenProtection.Sign1
            : _aeadIssuer != null && _macIssuer == null ? TokenProtection.Encrypt0 : TokenProtection.Mac0;
    }

    /// <summary>Mac0 when a MAC key is held (DESIGN.md §2 default), else Sign1 when a signing key is, else Encrypt0.</summary>
    public TokenProtection DefaultProtection { get; }

    /// <summary>Mints one token with a fresh Master Secret and input material id (or the update's id), and a new cti.</summary>
    /// <param name="request">The claims.</param>
    /// <returns>The token and the client's key material.</returns>
    /// <exception cref="ArgumentException">The request cannot be minted with these keys; the message says why.</exception>
    public AccessTokenFile Mint(TokenMintRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Audience);
        ArgumentNullException.ThrowIfNull(request.Scope);
        if (request.ExpiresInSeconds != null && request.Exi != null)
        {
            throw new ArgumentException("give exp or exi, not both (RFC 9200 §5.10.3: exi is for an RS without a clock)");
        }

        if (request.ExpiresInSeconds is < 1 || request.Exi is < 1)
        {
            throw new ArgumentException("the lifetime must be at least 1 second");
        }

        if (request.ExiSequence is < 0 or > ExiCti.MaxSequence)
        {
            throw new ArgumentException("the exi sequence number must be 0 .. 2^48 - 1 (6 bytes of cti)");
        }

        if (request.Cnonce is { Length: 0 or > 64 })
        {
            throw new ArgumentException("a cnonce must be 1 to 64 bytes");
        }

        if (request.OscoreAlgorithm is not (10 or 11 or 30 or 31))
        {
            throw new ArgumentException("the OSCORE alg must be 10 (AES-CCM-16-64-128), 11, 30 or 31");
        }

        TokenProtection protection = request.Protection ?? DefaultProtection;
        CwtIssuer issuer = protection switch
        {
            TokenProtection.Encrypt0 => _aeadIssuer ?? throw new ArgumentException("encrypt0 protection needs an AEAD AS–RS key (e.g. AES-CCM-16-64-128)"),
            TokenProtection.Sign1 => _signIssuer ?? throw new ArgumentException("sign1 protection needs the AS's private signing key for this RS (e.g. ES256)"),
            _ => _macIssuer ?? throw new ArgumentException("mac0 protection needs a MAC AS–RS key (e.g. HMAC 256/64)"),
        };
        if (protection != TokenProtection.Encrypt0 && _cnfSealer == null && request.UpdateInputMaterialId == null)
        {
            throw new ArgumentException(protection.ToString().ToLowerInvariant() + " protection also needs an AEAD AS–RS key: the OSCORE Master Secret must travel encrypted (RFC 9203 §3.2), as an Encrypted_COSE_Key (RFC 8747 §3.3)");
        }

        // RFC 9203 §3.2: an update of access rights names the Input Material the RS already holds; no new secret.
        byte[] ms = request.UpdateInputMaterialId == null ? Random(MasterSecretLength) : [];
        byte[] id = request.UpdateInputMaterialId ?? Random(IdLength);
        DateTimeOffset issuedAt = request.Now ?? DateTimeOffset.UtcNow;
        // RFC 9200 §5.10.3: an RS without a clock tells exi tokens apart by a cti made of its identifier and the
        // issuer's sequence number for it, accepting each once; other tokens get a random cti.
        byte[] cti = request.Exi != null ? ExiCti.Encode(request.Audience, request.ExiSequence ?? ExiCti.NextInProcess(issuedAt)) : request.Cti ?? Random(IdLength);
        long now = issuedAt.ToUnixTimeSeconds();
        long lifetime = request.Exi ?? request.ExpiresInSeconds ?? TokenMintRequest.DefaultLifetimeSeconds;
        using var claims = new CwtClaimsBuilder();
        claims.SetAudience(request.Audience);
        if (request.Scope.IsAif)
        {
            claims.SetScopeEncoded(request.Scope.Encode());
        }
        else
        {
            claims.SetScope(request.Scope.Text!);
        }

        claims.SetAceProfile(request.Profile);
        claims.SetCti(cti);
        long? exp = null;
        if (request.Exi != null)
        {
            // RFC 9200 §5.10.3: the RS counts exi from receipt; the token carries cti so the RS can keep the rules.
            claims.SetExi(lifetime);
        }
        else
        {
            exp = now + lifetime;
            claims.SetIssuedAt(now);
            claims.SetExpiration(exp.Value);
        }

        if (request.Cnonce != null)
        {
            // RFC 9200 §5.3.1: the cnonce the RS gave in its creation hints, so a clockless RS knows the token is fresh.
            claims.SetCnonce(request.Cnonce);
        }

        if (request.UpdateInputMaterialId != null)
        {
            claims.SetConfirmationKid(request.UpdateInputMaterialId);
        }
        else if (protection == TokenProtection.Encrypt0)
        {
            // RFC 9203 §3.2.1: the OSCORE_Input_Material, readable by the RS only because the whole token is encrypted.
            claims.SetConfirmationOscore(id, ms, 0, 0, request.OscoreAlgorithm == 10 ? 0 : request.OscoreAlgorithm, request.Salt, null);
        }
        else
        {
            // RFC 8747 §3.3: the Master Secret as a symmetric COSE_Key (kid = the input material id), sealed for the RS.
            using CoseKey pop = CoseKey.Symmetric(ms, request.OscoreAlgorithm, id);
            claims.SetConfirmationEncryptedKey(pop, _cnfSealer!, null);
        }

        byte[] token = issuer.Create(claims);
        return new AccessTokenFile(token, ms, id)
        {
            Cti = cti,
            Profile = request.Profile,
            Audience = request.Audience,
            Scope = request.Scope,
            Protection = protection,
            ExpiresIn = lifetime,
            Expiration = exp,
            Exi = request.Exi,
            Salt = protection == TokenProtection.Encrypt0 ? request.Salt : null,
            Algorithm = request.OscoreAlgorithm,
        };
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _macIssuer?.Dispose();
        _aeadIssuer?.Dispose();
        _signIssuer?.Dispose();
        _cnfSealer?.Dispose();
    }

    private byte[] Random(int length)
    {
        byte[] b = new byte[length];
        _provider.Random.GetBytes(b, 0, length);
        return b;
    }
}
