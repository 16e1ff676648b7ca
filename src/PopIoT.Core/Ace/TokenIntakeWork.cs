using PopIoT.Core.Crypto;
using PopIoT.Core.Cwt;

namespace PopIoT.Core.Ace;

/// <summary>
/// The workspace of one <see cref="TokenIntake.Process"/> call, inside its <see cref="TokenIntakeOutcome"/>: the parsed
/// request, the verified claims, the token's identity and rights, and what the OSCORE derivation needs (RFC 9203 §4.3).
/// Allocated once; <see cref="Clear"/> erases the key material at the end of every call.
/// </summary>
internal sealed class TokenIntakeWork
{
    public TokenIntakeWork(AceRsSettings settings)
    {
        Result = new CwtValidationResult(settings.MaxTokenSize);
        Permissions = new byte[settings.MaxResources];
        Nonce2 = new byte[settings.NonceLength];
    }

    public AuthzInfoRequest Request { get; } = new AuthzInfoRequest();

    public CwtValidationResult Result { get; }

    // RFC 9200 §5.10.1.1: SHA-256 of the verified claims, the token's identity.
    public byte[] Digest { get; } = new byte[32];

    public byte[] Permissions { get; }

    public byte[] Nonce2 { get; }

    public byte[] ServerId { get; } = new byte[1];

    public byte[] Salt { get; } = new byte[AceOscoreSetup.MaxMasterSaltLength];

    public int SaltLength { get; set; }

    public int Algorithm { get; set; }

    public void Clear()
    {
        Result.Clear();
        CryptoBytes.Clear(Salt);
        SaltLength = 0;
    }
}
