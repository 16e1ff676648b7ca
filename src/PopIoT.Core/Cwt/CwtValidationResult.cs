using System;
using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;

namespace PopIoT.Core.Cwt;

/// <summary>
/// The outcome of validating one CWT. Allocate it once and pass it to every
/// <see cref="CwtValidator.Validate(byte[], int, int, CwtValidationResult)"/>: it owns the buffers a
/// decrypted token and a decrypted Encrypted_COSE_Key land in, so validation allocates nothing.
/// <see cref="Claims"/> and <see cref="Confirmation"/> are meaningful only when <see cref="IsValid"/>.
/// Call <see cref="Clear"/> (or Dispose) once the PoP key has been taken: it erases decrypted material.
/// </summary>
public sealed class CwtValidationResult : IDisposable
{
    private readonly byte[] _plaintext;
    private readonly byte[] _cnfPlaintext;
    private int _plaintextUsed;

    /// <summary>Creates a result for tokens up to <see cref="CwtLimits.DefaultMaxPlaintext"/> bytes of encrypted payload.</summary>
    public CwtValidationResult()
        : this(CwtLimits.DefaultMaxPlaintext)
    {
    }

    /// <summary>Creates a result with a plaintext buffer of the given size (the largest Encrypt0 token payload accepted).</summary>
    /// <param name="maxPlaintext">Bytes of decrypted token payload this result can hold.</param>
    /// <exception cref="ArgumentException">The size is not positive.</exception>
    public CwtValidationResult(int maxPlaintext)
    {
        if (maxPlaintext <= 0)
        {
            throw new ArgumentException("maxPlaintext must be positive.");
        }

        _plaintext = new byte[maxPlaintext];
        _cnfPlaintext = new byte[CwtLimits.MaxCnfPlaintext];
        Claims = new CwtClaims();
        Confirmation = new CwtConfirmation(_plaintext, _cnfPlaintext);
        Cose = new CoseResult();
        Reset();
    }

    /// <summary>Why the token was refused, or <see cref="CwtError.None"/>.</summary>
    public CwtError Error { get; private set; }

    /// <summary>True when the token is valid and its claims and confirmation may be used.</summary>
    public bool IsValid
    {
        get { return Error == CwtError.None; }
    }

    /// <summary>The COSE detail for <see cref="CwtError.CoseFailed"/>, <see cref="CwtError.NotACwt"/> and <see cref="CwtError.CnfDecryptionFailed"/>; otherwise None.</summary>
    public CoseError CoseError { get; private set; }

    /// <summary>The claim key for <see cref="CwtError.MissingClaim"/>, <see cref="CwtError.InvalidClaim"/> and <see cref="CwtError.DuplicateClaim"/> (0 for a text key); otherwise 0.</summary>
    public long Claim { get; private set; }

    /// <summary>True when the token began with the CWT tag 61 (RFC 8392 §6).</summary>
    public bool HasCwtTag { get; private set; }

    /// <summary>The outer COSE message type (<see cref="CoseTag.Mac0"/>, <see cref="CoseTag.Sign1"/>, <see cref="CoseTag.Encrypt0"/>), or 0.</summary>
    public int MessageType { get; private set; }

    /// <summary>The outer message's verified algorithm, or 0.</summary>
    public int Algorithm { get; private set; }

    /// <summary>For a nested CWT (RFC 8392 §7.1): the inner message type; 0 when not nested.</summary>
    public int InnerMessageType { get; private set; }

    /// <summary>For a nested CWT: the inner message's verified algorithm; 0 when not nested.</summary>
    public int InnerAlgorithm { get; private set; }

    /// <summary>
    /// The token's exi in seconds (RFC 9200 §5.10.3), or -1 when it has none. The RS counts it from when
    /// it received the token: store receipt time + this, and the token's cti (sequence number rule).
    /// </summary>
    public long ExpiresIn { get; private set; }

    /// <summary>The time the token was checked against, or -1 when the validator had no clock.</summary>
    public long ValidatedAt { get; private set; }

    /// <summary>The claims (slices of the token, or of this result's plaintext buffer).</summary>
    public CwtClaims Claims { get; }

    /// <summary>The cnf claim's key (method <see cref="CnfMethod.None"/> when the token has no cnf).</summary>
    public CwtConfirmation Confirmation { get; }

    internal CoseResult Cose { get; }

    internal byte[] Plaintext
    {
        get { return _plaintext; }
    }

    /// <summary>Erases decrypted token and key material held here and resets the result.</summary>
    public void Clear()
    {
        Confirmation.Clear();
        Reset();
    }

    /// <summary>Same as <see cref="Clear"/>.</summary>
    public void Dispose()
    {
        Clear();
    }

    /// <summary>A one-line summary without key bytes, e.g. "Valid (Mac0 alg 4)" or "CoseFailed (TagMismatch)".</summary>
    /// <returns>The summary.</returns>
    public override string ToString()
    {
        if (IsValid)
        {
            return "Valid (COSE tag " + MessageType.ToString() + " alg " + Algorithm.ToString() + ", " + Confirmation.ToString() + ")";
        }

        string s = Error.ToString();
        if (CoseError != CoseError.None)
        {
            s += " (" + CoseError.ToString() + ")";
        }

        if (Claim != 0)
        {
            string name = Claim >= int.MinValue && Claim <= int.MaxValue ? CwtClaimKey.Name((int)Claim) : null;
            s += " (claim " + (name == null ? Claim.ToString() : name) + ")";
        }

        return s;
    }

    internal void Reset()
    {
        // A decrypted token may hold a PoP key in clear (RFC 8747 §3.2): never leave it for the next call.
        if (_plaintextUsed > 0)
        {
            CryptoBytes.Clear(_plaintext, 0, _plaintextUsed);
            _plaintextUsed = 0;
        }

        Error = CwtError.Malformed;
        CoseError = CoseError.None;
        Claim = 0;
        HasCwtTag = false;
        MessageType = 0;
        Algorithm = 0;
        InnerMessageType = 0;
        InnerAlgorithm = 0;
        ExpiresIn = -1;
        ValidatedAt = -1;
        Claims.Reset();
        Confirmation.Reset();
    }

    internal CwtError Fail(CwtError error, CoseError cose, long claim)
    {
        // Keep envelope facts for diagnostics, forget everything derived from the token's content,
        // and erase what was decrypted: a refused token's key material is not kept either.
        CryptoBytes.Clear(_plaintext, 0, _plaintextUsed);
        _plaintextUsed = 0;
        Claims.Reset();
        Confirmation.Reset();
        ExpiresIn = -1;
        Error = error;
        CoseError = cose;
        Claim = claim;
        return error;
    }

    internal void MarkDecrypted(int length)
    {
        _plaintextUsed = length;
    }

    internal void SetEnvelope(bool cwtTag, int type, int alg, int innerType, int innerAlg)
    {
        HasCwtTag = cwtTag;
        MessageType = type;
        Algorithm = alg;
        InnerMessageType = innerType;
        InnerAlgorithm = innerAlg;
    }

    internal void Succeed(long validatedAt, long expiresIn)
    {
        ValidatedAt = validatedAt;
        ExpiresIn = expiresIn;
        Error = CwtError.None;
        CoseError = CoseError.None;
        Claim = 0;
    }
}
