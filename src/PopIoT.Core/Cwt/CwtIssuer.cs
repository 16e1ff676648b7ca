using System;
using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;

namespace PopIoT.Core.Cwt;

/// <summary>
/// Creates CWTs (RFC 8392 §7.1) from a <see cref="CwtClaimsBuilder"/> with one key, whose algorithm
/// decides the COSE type: a MAC key makes COSE_Mac0, an AEAD key COSE_Encrypt0, a signing key (with
/// d) COSE_Sign1. The COSE message is always tagged (16/17/18); tag 61 is optional. An Encrypt0
/// issuer can also wrap the token of another issuer (a nested CWT, RFC 8392 §7.1, like A.6). For the
/// AS, the CLI and tests: it allocates per token. Dispose to erase the key.
/// </summary>
public sealed class CwtIssuer : IDisposable
{
    private readonly CoseMac0 _mac0;
    private readonly CoseSign1 _sign1;
    private readonly CoseEncrypt0 _encrypt0;
    private readonly bool _hasKid;

    /// <summary>Binds to a key that names its algorithm.</summary>
    /// <param name="provider">The crypto provider.</param>
    /// <param name="key">The AS–RS key (MAC or AEAD) or the AS signing key.</param>
    /// <exception cref="ArgumentException">A null argument, or a key that cannot create tokens (the message names why).</exception>
    public CwtIssuer(ICryptoProvider provider, CoseKey key)
    {
        if (provider == null || key == null)
        {
            throw new ArgumentException("provider and key must not be null.");
        }

        CoseAlgorithm alg = CoseAlgorithm.FromId(key.Algorithm);
        if (alg == null)
        {
            throw new ArgumentException("The key must name a supported algorithm.");
        }

        if (alg.Kind == CoseAlgorithmKind.Mac)
        {
            _mac0 = new CoseMac0(provider, key);
            MessageType = CoseTag.Mac0;
        }
        else if (alg.Kind == CoseAlgorithmKind.Aead)
        {
            _encrypt0 = new CoseEncrypt0(provider, key);
            MessageType = CoseTag.Encrypt0;
        }
        else
        {
            _sign1 = new CoseSign1(provider, key);
            MessageType = CoseTag.Sign1;
        }

        _hasKid = key.KidLength > 0;
        IncludeKid = _hasKid;
        Algorithm = alg.Id;
    }

    /// <summary>The COSE type this issuer makes: <see cref="CoseTag.Mac0"/>, <see cref="CoseTag.Sign1"/> or <see cref="CoseTag.Encrypt0"/>.</summary>
    public int MessageType { get; }

    /// <summary>The algorithm (the key's).</summary>
    public int Algorithm { get; }

    /// <summary>Put the key's kid in the unprotected header (default: when the key has one).</summary>
    public bool IncludeKid { get; set; }

    /// <summary>Prefix the CWT tag 61 (RFC 8392 §6). Default false.</summary>
    public bool CwtTag { get; set; }

    /// <summary>Creates a token into a new array.</summary>
    /// <param name="claims">The claims.</param>
    /// <returns>The token.</returns>
    public byte[] Create(CwtClaimsBuilder claims)
    {
        return CreateCore(claims, null, null);
    }

    /// <summary>Creates a token with a given IV (Encrypt0 only; only to reproduce vectors: an IV must never repeat under a key).</summary>
    /// <param name="claims">The claims.</param>
    /// <param name="iv">The IV.</param>
    /// <returns>The token.</returns>
    public byte[] Create(CwtClaimsBuilder claims, byte[] iv)
    {
        return CreateCore(claims, iv, null);
    }

    /// <summary>
    /// Creates a nested CWT (RFC 8392 §7.1): <paramref name="inner"/> (a Mac0 or Sign1 issuer) makes the
    /// tagged token, and this Encrypt0 issuer encrypts it.
    /// </summary>
    /// <param name="inner">The inner issuer.</param>
    /// <param name="claims">The claims.</param>
    /// <param name="iv">The outer IV, or null for a random one.</param>
    /// <returns>The token.</returns>
    /// <exception cref="ArgumentException">This issuer is not Encrypt0 or the inner one is.</exception>
    public byte[] CreateNested(CwtIssuer inner, CwtClaimsBuilder claims, byte[] iv)
    {
        if (inner == null || MessageType != CoseTag.Encrypt0 || inner.MessageType == CoseTag.Encrypt0)
        {
            throw new ArgumentException("A nested CWT here is an Encrypt0 around a Mac0 or Sign1.");
        }

        return CreateCore(claims, iv, inner);
    }

    /// <summary>Erases the key.</summary>
    public void Dispose()
    {
        if (_mac0 != null)
        {
            _mac0.Dispose();
        }

        if (_sign1 != null)
        {
            _sign1.Dispose();
        }

        if (_encrypt0 != null)
        {
            _encrypt0.Dispose();
        }
    }

    private byte[] CreateCore(CwtClaimsBuilder claims, byte[] iv, CwtIssuer inner)
    {
        if (claims == null)
        {
            throw new ArgumentException("claims must not be null.");
        }

        if (iv != null && MessageType != CoseTag.Encrypt0)
        {
            throw new ArgumentException("An IV applies to Encrypt0 only.");
        }

        byte[] payload = claims.Encode();
        if (inner != null)
        {
            // RFC 8392 §7.1 step 8: the inner CWT is the payload, tagged so the RS can tell it from claims.
            bool keep = inner.CwtTag;
            inner.CwtTag = false;
            byte[] nested = inner.CreateCore(claims, null, null);
            inner.CwtTag = keep;
            CryptoBytes.Clear(payload);
            payload = nested;
        }

        if (IncludeKid && !_hasKid)
        {
            throw new ArgumentException("IncludeKid is set but the key has no kid.");
        }

        byte[] output = new byte[payload.Length + 160];
        int at = 0;
        if (CwtTag)
        {
            // RFC 8392 §6: tag 61 in preferred form, d8 3d.
            output[0] = 0xd8;
            output[1] = CoseTag.Cwt;
            at = 2;
        }

        int n;
        if (_mac0 != null)
        {
            n = _mac0.Create(ByteRange.Of(payload), default(ByteRange), IncludeKid, true, new ByteRange(output, at, output.Length - at));
        }
        else if (_sign1 != null)
        {
            n = _sign1.Create(ByteRange.Of(payload), default(ByteRange), IncludeKid, true, new ByteRange(output, at, output.Length - at));
        }
        else
        {
            n = _encrypt0.Create(ByteRange.Of(payload), default(ByteRange), iv, IncludeKid, true, new ByteRange(output, at, output.Length - at));
        }

        CryptoBytes.Clear(payload);
        byte[] token = new byte[at + n];
        Array.Copy(output, 0, token, 0, token.Length);
        return token;
    }
}
