using System;

using PopIoT.Core.Cbor;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Core.Cwt;
using PopIoT.Core.Oscore;

namespace PopIoT.Core.Ace;

/// <summary>
/// The RS's policy checks of a verified token, apart from how it arrived: profile and cnf (RFC 9200 §5.10.1.1,
/// RFC 9203 §3.2), scope (RFC 9200 §5.10.2, AIF RFC 9237 or text), freshness (cnonce, the exi sequence of RFC 9200
/// §5.10.3), and the one scope rule for requests and notifications. Holds only configuration; results go to the
/// caller's buffers.
/// </summary>
internal sealed class AcePolicy
{
    private readonly AceScopeTable _scopes;
    private readonly AceFreshness _freshness;
    private readonly byte[] _audienceUtf8;
    private readonly AceResources _resources;

    public AcePolicy(AceScopeTable scopes, AceFreshness freshness, string audience, AceResources resources)
    {
        _scopes = scopes;
        _freshness = freshness;
        _audienceUtf8 = new byte[Utf8.GetByteCount(audience)];
        Utf8.Encode(audience, _audienceUtf8, 0);
        _resources = resources;
    }

    // RFC 9200 §5.10.1.1: profile, then the key binding this profile can use, then the rights per resource.
    // `profile` is ProfileOf the token; `maxPsk` the longest PSK a slot keeps; `rpk` whether RPK mode is served.
    public AceRsError CheckToken(CwtValidationResult result, byte[] permissions, int profile, int maxPsk, bool rpk)
    {
        CwtClaims c = result.Claims;

        // RFC 9200 §5.10.1.1: a token for a profile this RS does not serve is refused; absent means the RS's only one.
        if (profile == 0)
        {
            return AceRsError.UnknownProfile;
        }

        AceRsError e = profile == AceProfile.CoapDtls ? CheckDtlsConfirmation(result, maxPsk, rpk) : CheckConfirmation(result.Confirmation);
        if (e != AceRsError.None)
        {
            return e;
        }

        return _scopes.Evaluate(c, _resources.Paths, _resources.PathUtf8, _resources.Count, permissions);
    }

    // The token's profile (ace_profile, or the RS's only one) when this RS serves it, else 0.
    public static int ProfileOf(CwtClaims c, AceRsSettings settings)
    {
        int profile = c.Has(CwtClaimKey.AceProfile) ? (int)c.AceProfile : settings.DefaultProfile;
        if (profile == AceProfile.CoapOscore && settings.ServesOscore)
        {
            return profile;
        }

        return profile == AceProfile.CoapDtls && settings.ServesDtls ? profile : 0;
    }

    // The checks a token meets once, when the RS first verifies it (a stored token re-posted skips them).
    public AceRsError CheckFreshness(CwtValidationResult result)
    {
        CwtClaims c = result.Claims;

        // RFC 9200 §5.10.1.1: only an RS that asked for a cnonce (a clockless one) checks it.
        if (c.Has(CwtClaimKey.Cnonce) && _freshness.IssuesCnonces && !_freshness.CnonceKnown(c.Buffer, c.CnonceOffset, c.CnonceLength))
        {
            return AceRsError.CnonceUnknown;
        }

        if (c.Has(CwtClaimKey.Exi))
        {
            long seq = AceFreshness.CtiSequence(c, _audienceUtf8);
            if (seq < 0)
            {
                return AceRsError.TokenClaimInvalid;
            }

            // docs/ace-rs.md, "Persistence": without the burnt number safely stored, an old token looks new.
            if (_freshness.StateUnavailable)
            {
                return AceRsError.ExiStateUnavailable;
            }

            if (!_freshness.SequenceAcceptable(seq))
            {
                return AceRsError.TokenCtiReplayed;
            }
        }

        return AceRsError.None;
    }

    // The exi sequence number of a validated token, or -1 when it has no exi.
    public long Sequence(CwtValidationResult result)
    {
        CwtClaims c = result.Claims;
        return c.Has(CwtClaimKey.Exi) ? AceFreshness.CtiSequence(c, _audienceUtf8) : -1;
    }

    // RFC 9200 §5.10.3: the token replacing a stored exi token must be numbered above it, because the stored one's
    // number is burnt when it goes and everything at or below a burnt number counts as expired.
    public static bool Supersedes(long stored, long seq)
    {
        return seq < 0 || stored < 0 || seq > stored;
    }

    // RFC 9200 §5.10.2: 4.03 when the token does not cover the resource, 4.05 when it covers the resource but not the
    // method. The one scope rule for requests and notifications.
    public static AceRsError ScopeDecision(int granted, byte method)
    {
        if (CoapMethods.Allows(granted, method))
        {
            return AceRsError.None;
        }

        return granted == 0 ? AceRsError.ScopeDenied : AceRsError.MethodNotInScope;
    }

    // RFC 9202 §3.3 (PSK mode; boards have no elliptic curves, so no raw public keys): the PSK is the symmetric
    // COSE_Key in cnf (RFC 8747 §3.2; key material in a token only encrypted: an Encrypt0 token or an
    // Encrypted_COSE_Key, RFC 8747 §3.3, which the CWT parser enforces), or, when cnf has only a kid (RFC 8747 §3.4),
    // derived from the token with the key derivation key. The kid names the token in a psk_identity, so it is required.
    private static AceRsError CheckDtlsConfirmation(CwtValidationResult result, int maxPsk, bool rpk)
    {
        CwtConfirmation cnf = result.Confirmation;
        if (AceRpkKeyId.IsPublicKey(cnf))
        {
            // RFC 9202 §3.2: RPK mode, the client's public key; it needs no kid.
            return AceRpkKeyId.Check(cnf, rpk);
        }

        if (cnf.KidLength == 0 || cnf.KidLength > AceTokenTable.MaxPopIdLength)
        {
            return cnf.Method == CnfMethod.None ? AceRsError.UnsupportedConfirmation : AceRsError.ConfirmationInvalid;
        }

        if (cnf.Method == CnfMethod.CoseKey || cnf.Method == CnfMethod.EncryptedCoseKey)
        {
            if (cnf.KeyType != CoseKeyType.Symmetric)
            {
                return AceRsError.UnsupportedConfirmation;
            }

            if (cnf.Method == CnfMethod.CoseKey && result.MessageType != CoseTag.Encrypt0)
            {
                return AceRsError.KeyMaterialNotEncrypted;
            }

            return cnf.SymmetricKeyLength < 1 || cnf.SymmetricKeyLength > maxPsk ? AceRsError.ConfirmationInvalid : AceRsError.None;
        }

        return cnf.Method == CnfMethod.Kid ? AceRsError.None : AceRsError.UnsupportedConfirmation;
    }

    private static AceRsError CheckConfirmation(CwtConfirmation cnf)
    {
        if (cnf.Method == CnfMethod.OscoreInputMaterial)
        {
            OscoreInputMaterial m = cnf.Oscore;
            if (m.HkdfTextLength >= 0 || m.AlgorithmTextLength >= 0 || (m.Hkdf != 0 && m.Hkdf != AceOscoreSetup.HkdfSha256) || !AceOscoreSetup.IsSupportedAead(m.Algorithm))
            {
                return AceRsError.UnsupportedAlgorithm;
            }

            if (m.Version > 1 || m.IdLength > AceTokenTable.MaxPopIdLength || m.MasterSecretLength < 1 || m.MasterSecretLength > AceOscoreSetup.MaxInputLength
                || m.SaltLength > AceOscoreSetup.MaxInputLength || m.ContextIdLength > SecurityContext.MaxIdContextLength)
            {
                return AceRsError.ConfirmationInvalid;
            }

            return AceRsError.None;
        }

        if (cnf.Method == CnfMethod.CoseKey || cnf.Method == CnfMethod.EncryptedCoseKey)
        {
            // PopIoT mapping (docs/ace-rs.md): a symmetric COSE_Key serves as OSCORE input material, k = ms, kid = id.
            if (cnf.KeyType != CoseKeyType.Symmetric || cnf.KidLength == 0)
            {
                return AceRsError.UnsupportedConfirmation;
            }

            return cnf.KidLength > AceTokenTable.MaxPopIdLength || cnf.SymmetricKeyLength > AceOscoreSetup.MaxInputLength ? AceRsError.ConfirmationInvalid : AceRsError.None;
        }

        if (cnf.Method == CnfMethod.Kid)
        {
            // RFC 9203 §4.1 (and its example token with cnf { kid: h'01' }): an access-rights update names the
            // OSCORE_Input_Material id of the token it replaces; it cannot set up a context (checked by the intake).
            return cnf.KidLength == 0 || cnf.KidLength > AceTokenTable.MaxPopIdLength ? AceRsError.ConfirmationInvalid : AceRsError.None;
        }

        // RFC 9203 §3.2: this profile needs OSCORE_Input_Material (asymmetric keys cannot make a context).
        return AceRsError.UnsupportedConfirmation;
    }
}
