using System;
using PopIoT.Core.Cbor;
using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;

namespace PopIoT.Core.Cwt;

/// <summary>
/// Validates CWTs (RFC 8392 §7.2) for one resource server: optional tag 61, then a tagged
/// COSE_Mac0, COSE_Sign1 or COSE_Encrypt0 (or one Encrypt0 around a tagged Mac0/Sign1, §7.1),
/// each checked with the one key configured for that type and pinned to that key's algorithm (the
/// token never chooses it). Then the claims: structure, required claims, audience, time, cnf.
/// After set-up, validation allocates nothing and never throws for bad input.
/// <para>
/// Time: with a time from the <see cref="ICwtClock"/>, exp and nbf are checked with
/// <see cref="ClockSkewSeconds"/> (RFC 7519 §4.1.4, §4.1.5). Without one (the clock returns false,
/// e.g. <see cref="CwtNoClock"/>), exp and nbf cannot be evaluated, so RFC 9200 §5.10.3's exi is
/// required instead and <see cref="CwtValidationResult.ExpiresIn"/> gives the lifetime the RS must
/// count from receipt; a token with exi must also carry cti (RFC 9200 §5.10.3, the sequence-number
/// rule the RS applies). exp/nbf are then ignored, which is the only relaxation.
/// </para>
/// Not thread-safe; dispose to erase the keys.
/// </summary>
public sealed partial class CwtValidator : IDisposable
{
    private static readonly int[] DefaultRequired = new int[] { CwtClaimKey.Aud };

    private readonly ICryptoProvider _provider;
    private readonly ICwtClock _clock;
    private readonly byte[] _audience;
    private CoseMac0 _mac0;
    private CoseSign1 _sign1;
    private CoseEncrypt0 _encrypt0;
    private CoseEncrypt0 _cnfDecryptor;
    private int[] _required = DefaultRequired;
    private int _skew;
    private int _untagged;
    private int _protection;
    private bool _disposed;

    /// <summary>Creates a validator with no keys yet (add them with the Set…Key methods).</summary>
    /// <param name="provider">The crypto provider.</param>
    /// <param name="clock">The time source; <see cref="CwtNoClock.Instance"/> for a device without a clock.</param>
    /// <param name="audience">
    /// This RS's audience: aud must equal it or be an array containing it (RFC 9200 §5.10.1.1). Null
    /// skips the audience comparison (tools only; aud is still required unless
    /// <see cref="SetRequiredClaims"/> says otherwise).
    /// </param>
    /// <exception cref="ArgumentException">provider or clock is null.</exception>
    public CwtValidator(ICryptoProvider provider, ICwtClock clock, string audience)
    {
        if (provider == null || clock == null)
        {
            throw new ArgumentException("provider and clock must not be null (use CwtNoClock.Instance for no clock).");
        }

        _provider = provider;
        _clock = clock;
        if (audience != null)
        {
            _audience = new byte[Utf8.GetByteCount(audience)];
            Utf8.Encode(audience, _audience, 0);
        }

        RequireExpiry = true;
    }

    /// <summary>
    /// Allowed clock difference in seconds, 0 to <see cref="CwtLimits.MaxSkewSeconds"/> (default 0):
    /// expired when now ≥ exp + skew, not yet valid when now &lt; nbf − skew.
    /// </summary>
    /// <exception cref="ArgumentException">Out of range.</exception>
    public int ClockSkewSeconds
    {
        get
        {
            return _skew;
        }

        set
        {
            if (value < 0 || value > CwtLimits.MaxSkewSeconds)
            {
                throw new ArgumentException("ClockSkewSeconds must be 0 to " + CwtLimits.MaxSkewSeconds.ToString() + ".");
            }

            _skew = value;
        }
    }

    /// <summary>
    /// When true (default), a token must say when it ends: exp or exi with a clock, exi without
    /// (that one cannot be turned off). Refusals name <see cref="CwtClaimKey.Exp"/> as the missing claim.
    /// </summary>
    public bool RequireExpiry { get; set; }

    /// <summary>
    /// The COSE type of an untagged token (<see cref="CoseTag.Mac0"/>, <see cref="CoseTag.Sign1"/> or
    /// <see cref="CoseTag.Encrypt0"/>), for deployments where the RS knows it from context
    /// (RFC 8392 §7.2 step 2; RFC 9200 access tokens are often untagged). 0 (default) refuses untagged tokens.
    /// </summary>
    /// <exception cref="ArgumentException">Not 0, 16, 17 or 18.</exception>
    public int UntaggedMessageType
    {
        get
        {
            return _untagged;
        }

        set
        {
            if (value != 0 && value != CoseTag.Mac0 && value != CoseTag.Sign1 && value != CoseTag.Encrypt0)
            {
                throw new ArgumentException("UntaggedMessageType must be 0, 16, 17 or 18.");
            }

            _untagged = value;
        }
    }

    /// <summary>
    /// The one COSE type this RS's tokens are protected with (<see cref="CoseTag.Mac0"/>, <see cref="CoseTag.Sign1"/> or
    /// <see cref="CoseTag.Encrypt0"/>): a token of any other outer type is refused with
    /// <see cref="CwtError.ProtectionNotAllowed"/> before a key is tried, whatever keys are set (DESIGN.md §2: the AS
    /// protects a token for one audience one way). An Encrypt0 RS still opens one Mac0/Sign1 nested inside (RFC 8392
    /// §7.1) when that key is set. 0 (default) accepts every type a key is set for, for tools; an RS pins one.
    /// </summary>
    /// <exception cref="ArgumentException">Not 0, 16, 17 or 18.</exception>
    public int TokenProtection
    {
        get
        {
            return _protection;
        }

        set
        {
            if (value != 0 && value != CoseTag.Mac0 && value != CoseTag.Sign1 && value != CoseTag.Encrypt0)
            {
                throw new ArgumentException("TokenProtection must be 0, 16, 17 or 18.");
            }

            _protection = value;
        }
    }

    /// <summary>The claims every token must carry (default: aud). The array is copied; null or empty requires none.</summary>
    /// <param name="claimKeys">Claim keys, e.g. { <see cref="CwtClaimKey.Aud"/>, <see cref="CwtClaimKey.Cnf"/> }.</param>
    public void SetRequiredClaims(int[] claimKeys)
    {
        _required = CopyKeys(claimKeys);
    }

    /// <summary>The AS–RS key for COSE_Mac0 tokens (HMAC 256/64 or 256/256, pinned by the key's alg).</summary>
    /// <param name="key">The key; it must name its algorithm.</param>
    /// <exception cref="ArgumentException">The key cannot verify Mac0 (the message names the COSE error).</exception>
    public void SetMac0Key(CoseKey key)
    {
        CoseMac0 m = new CoseMac0(_provider, key);
        Check(m.KeyError, m, "verify COSE_Mac0 tokens (key_ops must permit MAC verify, 10)");
        Replace(_mac0);
        _mac0 = m;
        _mac0.RequireTag = false;
    }

    /// <summary>The AS public key for COSE_Sign1 tokens (ES256 or EdDSA, pinned by the key's alg).</summary>
    /// <param name="key">The public (or private) key.</param>
    /// <exception cref="ArgumentException">The key cannot verify Sign1 (e.g. the provider has no signatures).</exception>
    public void SetSign1Key(CoseKey key)
    {
        CoseSign1 s = new CoseSign1(_provider, key);
        Check(s.KeyError, s, "verify COSE_Sign1 tokens (key_ops must permit verify, 2)");
        Replace(_sign1);
        _sign1 = s;
    }

    /// <summary>The AS–RS key for COSE_Encrypt0 tokens (AES-CCM or AES-GCM, pinned by the key's alg).</summary>
    /// <param name="key">The key; key_ops, when present, must permit decrypt (RFC 9052 §7.1).</param>
    /// <exception cref="ArgumentException">The key cannot decrypt.</exception>
    public void SetEncrypt0Key(CoseKey key)
    {
        CoseEncrypt0 e = new CoseEncrypt0(_provider, key);
        Check(e.KeyError, e, "decrypt COSE_Encrypt0 tokens (key_ops must permit decrypt, 4)");
        Replace(_encrypt0);
        _encrypt0 = e;
    }

    /// <summary>
    /// The AS–RS key that decrypts an Encrypted_COSE_Key in cnf (RFC 8747 §3.3), pinned by its alg. It is used for
    /// nothing else: never to verify or decrypt a token. Its plaintext is a key, so key_ops, when present, must permit
    /// unwrap key (RFC 9052 §7.1); a key marked decrypt (a token key) is refused.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <exception cref="ArgumentException">The key cannot unwrap.</exception>
    public void SetCnfDecryptionKey(CoseKey key)
    {
        CoseEncrypt0 e = CoseEncrypt0.ForKeyWrap(_provider, key);
        Check(e.KeyError, e, "unwrap the Encrypted_COSE_Key in cnf (key_ops must permit unwrap key, 6)");
        Replace(_cnfDecryptor);
        _cnfDecryptor = e;
    }

    /// <summary>Validates a whole-array token into a new result (convenience; allocates).</summary>
    /// <param name="token">The token.</param>
    /// <returns>The result.</returns>
    public CwtValidationResult Validate(byte[] token)
    {
        CwtValidationResult result = new CwtValidationResult();
        Validate(token, 0, token == null ? 0 : token.Length, result);
        return result;
    }

    /// <summary>Validates a CWT. On success the result holds its claims and confirmation.</summary>
    /// <param name="token">The array holding the token.</param>
    /// <param name="offset">Where it starts.</param>
    /// <param name="count">Its length: exactly one token.</param>
    /// <param name="result">Receives the outcome (reuse it).</param>
    /// <returns>The same reason as <see cref="CwtValidationResult.Error"/>.</returns>
    /// <exception cref="ArgumentException">A null argument or a range that does not fit.</exception>
    /// <exception cref="ObjectDisposedException">This object was disposed.</exception>
    public CwtError Validate(byte[] token, int offset, int count, CwtValidationResult result)
    {
        if (token == null || result == null || offset < 0 || count < 0 || count > token.Length - offset)
        {
            throw new ArgumentException("token and result must not be null and the range must fit.");
        }

        if (_disposed)
        {
            throw new ObjectDisposedException("CwtValidator");
        }

        if (ReferenceEquals(token, result.Plaintext))
        {
            throw new ArgumentException("token must not live in the result's own buffer.");
        }

        // Every parser below reads with the CBOR reader's sticky error: bad data is a result, never an exception.
        result.Reset();
        return ValidateCore(token, offset, count, result);
    }

    /// <summary>Erases the keys.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            Replace(_mac0);
            Replace(_sign1);
            Replace(_encrypt0);
            Replace(_cnfDecryptor);
        }
    }

    private static void Check(CoseError error, IDisposable created, string purpose)
    {
        if (error != CoseError.None)
        {
            created.Dispose();
            throw new ArgumentException("The key cannot be used to " + purpose + ": " + error.ToString() + ".");
        }
    }

    private static void Replace(IDisposable old)
    {
        if (old != null)
        {
            old.Dispose();
        }
    }

    private static int[] CopyKeys(int[] labels)
    {
        if (labels == null)
        {
            return new int[0];
        }

        int[] copy = new int[labels.Length];
        Array.Copy(labels, 0, copy, 0, labels.Length);
        return copy;
    }
}
