using PopIoT.Core.Cbor;
using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;
using PopIoT.Core.Cwt;

namespace PopIoT.Core.Ace;

/// <summary>
/// What one call of <see cref="TokenIntake.Process"/> decided (RFC 9200 §5.10.1, RFC 9203 §4.1–§4.3): the response
/// code and its application/ace+cbor payload (the 2.01 with nonce2 and ace_server_recipientid, or the error map), the
/// slot whose context was installed or updated, the decision and its reason, and when to try again. Preallocated by
/// the caller and owned by one call at a time; it also holds that call's workspace (the verified claims, the token's
/// identity, the salt), which the call erases before it returns.
/// </summary>
public sealed class TokenIntakeOutcome
{
    private readonly byte[] _payload = new byte[160];
    private readonly CborWriter _writer;

    /// <summary>Creates the outcome and its workspace, sized by the settings.</summary>
    /// <param name="settings">The engine's settings.</param>
    public TokenIntakeOutcome(AceRsSettings settings)
    {
        _writer = new CborWriter(_payload);
        Result = new CwtValidationResult(settings.MaxTokenSize);
        Permissions = new byte[settings.MaxResources];
        Nonce2 = new byte[settings.NonceLength];
        Reset();
    }

    /// <summary>The response code: 2.01, or the error's code (4.00, 4.01, 4.13, 4.29, 5.03 ...).</summary>
    public byte Code { get; private set; }

    /// <summary>Why the token was refused, or <see cref="AceRsError.None"/>.</summary>
    public AceRsError Error { get; private set; }

    /// <summary>The decision: TokenStored, TokenDuplicate, RightsUpdated or TokenRejected.</summary>
    public AceDecisionKind Kind { get; private set; }

    /// <summary>The slot stored, re-posted or updated, or -1.</summary>
    public int Slot { get; private set; }

    /// <summary>Seconds until a refusal that passes with time may be retried (the Max-Age, RFC 7252 §5.10.5), or -1.</summary>
    public long RetryAfterSeconds { get; private set; }

    /// <summary>The response payload (application/ace+cbor); empty for a re-posted token or a rights update.</summary>
    public ByteRange Payload
    {
        get { return new ByteRange(_payload, 0, _writer.BytesWritten); }
    }

    // The workspace of the call (RFC 9203 §4.3 needs all of it for the derivation); Erase ends it.
    internal AuthzInfoRequest Request { get; } = new AuthzInfoRequest();

    internal CwtValidationResult Result { get; }

    // RFC 9200 §5.10.1.1: SHA-256 of the verified claims, the token's identity.
    internal byte[] Digest { get; } = new byte[32];

    internal byte[] Permissions { get; }

    internal byte[] Nonce2 { get; }

    internal byte[] ServerId { get; } = new byte[1];

    internal byte[] Salt { get; } = new byte[AceOscoreSetup.MaxMasterSaltLength];

    internal int SaltLength { get; set; }

    internal int Algorithm { get; set; }

    internal CborWriter Writer
    {
        get { return _writer; }
    }

    // Decrypted claims and the salt (key material) never outlive the call.
    internal void Erase()
    {
        Result.Clear();
        CryptoBytes.Clear(Salt);
        SaltLength = 0;
    }

    internal void Reset()
    {
        _writer.Reset();
        Code = 0;
        Error = AceRsError.None;
        Kind = AceDecisionKind.TokenRejected;
        Slot = -1;
        RetryAfterSeconds = -1;
    }

    // RFC 9200 §5.10.1.1: 4.01 or 4.00 with an error map in application/ace+cbor; the reason's name is the description.
    internal void Reject(AceRsError error, byte code)
    {
        Code = code;
        Error = error;
        Kind = AceDecisionKind.TokenRejected;
        Slot = -1;
        _writer.Reset();
        AceErrorResponse.Encode(error, _writer);
    }

    internal void Reject(AceRsError error)
    {
        Reject(error, AceRsErrors.GetCoapCode(error));
    }

    // RFC 7252 §5.10.5, RFC 8516 §3: a refusal that passes with time says when to try again.
    internal void RejectUntil(AceRsError error, long seconds)
    {
        Reject(error);
        RetryAfterSeconds = seconds;
    }

    internal void Accept(AceDecisionKind kind, int slot)
    {
        Code = CoapCode.Created;
        Error = AceRsError.None;
        Kind = kind;
        Slot = slot;
    }
}
