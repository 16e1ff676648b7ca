using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Core.Cwt;
using PopIoT.Core.Oscore;

namespace PopIoT.Core.Ace;

/// <summary>
/// How each <see cref="AceRsError"/> is answered: the CoAP response code (RFC 9200 §5.10.1.1, §5.10.2; RFC 8613 §8.2),
/// the ACE error code of the application/ace+cbor error map (RFC 9200 §5.8.3), and the reason's stable name, which is
/// sent as error_description and logged by hosts. Allocates nothing (names are literals).
/// </summary>
public static class AceRsErrors
{
    /// <summary>The CoAP response code for a reason (0 for <see cref="AceRsError.None"/>).</summary>
    /// <param name="error">The reason.</param>
    /// <returns>The code, e.g. 0x81 (4.01).</returns>
    public static byte GetCoapCode(AceRsError error)
    {
        switch (error)
        {
            case AceRsError.None:
                return 0;
            case AceRsError.UnsupportedContentFormat:
                return CoapCode.UnsupportedContentFormat;
            case AceRsError.TokenTooLarge:
            case AceRsError.RequestTooLarge:
                return CoapCode.RequestEntityTooLarge;
            case AceRsError.MalformedPayload:
            case AceRsError.AceCborRequired:
            case AceRsError.MissingAccessToken:
            case AceRsError.InvalidNonce1:
            case AceRsError.InvalidClientRecipientId:
            case AceRsError.BlockwiseFailed:
            case AceRsError.TokenMalformed:
            case AceRsError.UnknownProfile:
            case AceRsError.ProfileMismatch:
            case AceRsError.UnsupportedConfirmation:
            case AceRsError.ConfirmationInvalid:
            case AceRsError.UnsupportedAlgorithm:
            case AceRsError.InvalidScope:
            case AceRsError.DecryptionFailed:
            case AceRsError.RpkNotServed:
            case AceRsError.RpkKeyInvalid:
                return CoapCode.BadRequest;
            case AceRsError.BadOscoreOption:
            case AceRsError.UnrecognizedCriticalOption:
                return CoapCode.BadOption;
            case AceRsError.ScopeDenied:
            case AceRsError.AudienceMismatch:
                // RFC 9200 §5.10.2 (a resource outside the scope); §5.10.1.1 (aud names another RS).
                return CoapCode.Forbidden;
            case AceRsError.MethodNotInScope:
                // RFC 9200 §5.10.2: the scope covers the resource but not the method.
                return CoapCode.MethodNotAllowed;
            case AceRsError.ResourceNotFound:
                return CoapCode.NotFound;
            case AceRsError.MethodNotAllowed:
                return CoapCode.MethodNotAllowed;
            case AceRsError.NoRecipientIdAvailable:
            case AceRsError.TableFull:
            case AceRsError.AuthzInfoOverloaded:
            case AceRsError.ExiStateUnavailable:
                // RFC 7252 §5.9.3.4: the RS as a whole cannot take the token now; Max-Age says when to try again.
                return CoapCode.ServiceUnavailable;
            case AceRsError.PeerRateLimited:
                // RFC 8516 §3, as RFC 9200 §5.10.1.2 suggests: this client sent too many requests.
                return CoapCode.TooManyRequests;
            case AceRsError.ResponseProtectionFailed:
                return CoapCode.InternalServerError;
            default:
                // Token verification, audience, lifetime, replay, missing context, no protection: 4.01 Unauthorized
                // (RFC 9200 §5.10.1.1: a token that is not valid; RFC 8613 §8.2, §7.4).
                return CoapCode.Unauthorized;
        }
    }

    /// <summary>The ACE error code (RFC 9200 §5.8.3 CBOR abbreviation) for an /authz-info rejection.</summary>
    /// <param name="error">The reason.</param>
    /// <returns>The error code, e.g. <see cref="AceErrorCode.InvalidRequest"/>; 0 when no code applies (the map then
    /// carries only error_description).</returns>
    public static int GetAceErrorCode(AceRsError error)
    {
        switch (error)
        {
            case AceRsError.TableFull:
            case AceRsError.PeerRateLimited:
            case AceRsError.AuthzInfoOverloaded:
            case AceRsError.ExiStateUnavailable:
                // Nothing is wrong with the request or the token: none of RFC 9200 Table 3's codes says "try later",
                // so the map has no error member; the CoAP code and Max-Age tell the client what to do.
                return 0;
            case AceRsError.UnknownProfile:
            case AceRsError.ProfileMismatch:
                return AceErrorCode.IncompatibleAceProfiles;
            case AceRsError.UnsupportedConfirmation:
            case AceRsError.UnsupportedAlgorithm:
            case AceRsError.KeyMaterialNotEncrypted:
            case AceRsError.RpkNotServed:
            case AceRsError.RpkKeyInvalid:
                return AceErrorCode.UnsupportedPopKey;
            case AceRsError.InvalidScope:
                return AceErrorCode.InvalidScope;
            case AceRsError.MalformedPayload:
            case AceRsError.UnsupportedContentFormat:
            case AceRsError.AceCborRequired:
            case AceRsError.MissingAccessToken:
            case AceRsError.InvalidNonce1:
            case AceRsError.InvalidClientRecipientId:
            case AceRsError.TokenTooLarge:
            case AceRsError.BlockwiseFailed:
            case AceRsError.TokenMalformed:
                return AceErrorCode.InvalidRequest;
            default:
                return AceErrorCode.InvalidGrant;
        }
    }

    /// <summary>The reason's stable name (the enum member's name), for logs and error_description.</summary>
    /// <param name="error">The reason.</param>
    /// <returns>The name; "Unknown" for a value outside the enum.</returns>
    public static string Name(AceRsError error)
    {
        switch (error)
        {
            case AceRsError.None: return "None";
            case AceRsError.MalformedPayload: return "MalformedPayload";
            case AceRsError.UnsupportedContentFormat: return "UnsupportedContentFormat";
            case AceRsError.AceCborRequired: return "AceCborRequired";
            case AceRsError.MissingAccessToken: return "MissingAccessToken";
            case AceRsError.InvalidNonce1: return "InvalidNonce1";
            case AceRsError.InvalidClientRecipientId: return "InvalidClientRecipientId";
            case AceRsError.TokenTooLarge: return "TokenTooLarge";
            case AceRsError.BlockwiseFailed: return "BlockwiseFailed";
            case AceRsError.TokenMalformed: return "TokenMalformed";
            case AceRsError.TokenTypeNotAccepted: return "TokenTypeNotAccepted";
            case AceRsError.TokenVerificationFailed: return "TokenVerificationFailed";
            case AceRsError.TokenAlgorithmNotAllowed: return "TokenAlgorithmNotAllowed";
            case AceRsError.AudienceMismatch: return "AudienceMismatch";
            case AceRsError.TokenExpired: return "TokenExpired";
            case AceRsError.TokenNotYetValid: return "TokenNotYetValid";
            case AceRsError.TokenLifetimeMissing: return "TokenLifetimeMissing";
            case AceRsError.TokenClaimInvalid: return "TokenClaimInvalid";
            case AceRsError.TokenCtiReplayed: return "TokenCtiReplayed";
            case AceRsError.CnonceUnknown: return "CnonceUnknown";
            case AceRsError.ExiStateUnavailable: return "ExiStateUnavailable";
            case AceRsError.UnknownProfile: return "UnknownProfile";
            case AceRsError.ProfileMismatch: return "ProfileMismatch";
            case AceRsError.PskIdentityInvalid: return "PskIdentityInvalid";
            case AceRsError.SessionWithoutToken: return "SessionWithoutToken";
            case AceRsError.RpkNotServed: return "RpkNotServed";
            case AceRsError.RpkKeyInvalid: return "RpkKeyInvalid";
            case AceRsError.RpkKeyUnknown: return "RpkKeyUnknown";
            case AceRsError.UnsupportedConfirmation: return "UnsupportedConfirmation";
            case AceRsError.ConfirmationInvalid: return "ConfirmationInvalid";
            case AceRsError.KeyMaterialNotEncrypted: return "KeyMaterialNotEncrypted";
            case AceRsError.UnsupportedAlgorithm: return "UnsupportedAlgorithm";
            case AceRsError.InvalidScope: return "InvalidScope";
            case AceRsError.NoTokenToUpdate: return "NoTokenToUpdate";
            case AceRsError.UpdateFromWrongContext: return "UpdateFromWrongContext";
            case AceRsError.UpdateNotProtected: return "UpdateNotProtected";
            case AceRsError.NoRecipientIdAvailable: return "NoRecipientIdAvailable";
            case AceRsError.TableFull: return "TableFull";
            case AceRsError.PeerRateLimited: return "PeerRateLimited";
            case AceRsError.AuthzInfoOverloaded: return "AuthzInfoOverloaded";
            case AceRsError.NotProtected: return "NotProtected";
            case AceRsError.SecurityContextNotFound: return "SecurityContextNotFound";
            case AceRsError.Replay: return "Replay";
            case AceRsError.DecryptionFailed: return "DecryptionFailed";
            case AceRsError.BadOscoreOption: return "BadOscoreOption";
            case AceRsError.UnrecognizedCriticalOption: return "UnrecognizedCriticalOption";
            case AceRsError.RequestTooLarge: return "RequestTooLarge";
            case AceRsError.FreshnessRequired: return "FreshnessRequired";
            case AceRsError.TokenExpiredAtAccess: return "TokenExpiredAtAccess";
            case AceRsError.ScopeDenied: return "ScopeDenied";
            case AceRsError.MethodNotInScope: return "MethodNotInScope";
            case AceRsError.ResourceNotFound: return "ResourceNotFound";
            case AceRsError.MethodNotAllowed: return "MethodNotAllowed";
            case AceRsError.ResponseProtectionFailed: return "ResponseProtectionFailed";
            default: return "Unknown";
        }
    }

    // The engine's refusals by the layer that found them: OSCORE (RFC 8613 §8.2), COSE (RFC 9052), CWT (RFC 8392 §7.2).
    internal static AceRsError FromOscore(OscoreStatus s)
    {
        switch (s)
        {
            case OscoreStatus.SecurityContextNotFound:
                return AceRsError.SecurityContextNotFound;
            case OscoreStatus.ReplayDetected:
                return AceRsError.Replay;
            case OscoreStatus.DecryptionFailed:
                return AceRsError.DecryptionFailed;
            case OscoreStatus.MessageTooLarge:
                return AceRsError.RequestTooLarge;
            case OscoreStatus.UnrecognizedCriticalOption:
                return AceRsError.UnrecognizedCriticalOption;
            default:
                return AceRsError.BadOscoreOption;
        }
    }

    private static AceRsError FromCose(CoseError e)
    {
        switch (e)
        {
            case CoseError.TagMismatch:
            case CoseError.TagLengthInvalid:
            case CoseError.DecryptionFailed:
            case CoseError.SignatureInvalid:
            case CoseError.SignatureLengthInvalid:
                return AceRsError.TokenVerificationFailed;
            case CoseError.AlgInUnprotectedHeader:
            case CoseError.MissingAlgorithm:
            case CoseError.AlgorithmMismatch:
            case CoseError.UnsupportedAlgorithm:
            case CoseError.CritNotProtected:
            case CoseError.InvalidCrit:
            case CoseError.UnknownCriticalHeader:
                return AceRsError.TokenAlgorithmNotAllowed;
            default:
                return AceRsError.TokenMalformed;
        }
    }

    internal static AceRsError FromCwt(CwtError e, CoseError cose, long claim)
    {
        switch (e)
        {
            case CwtError.Malformed:
            case CwtError.DuplicateClaim:
            case CwtError.LimitExceeded:
                return AceRsError.TokenMalformed;
            case CwtError.NotACwt:
            case CwtError.UnexpectedMessageType:
            case CwtError.NestingNotSupported:
            case CwtError.ProtectionNotAllowed:
                return AceRsError.TokenTypeNotAccepted;
            case CwtError.CoseFailed:
                return FromCose(cose);
            case CwtError.AudienceMismatch:
                return AceRsError.AudienceMismatch;
            case CwtError.Expired:
                return AceRsError.TokenExpired;
            case CwtError.NotYetValid:
                return AceRsError.TokenNotYetValid;
            case CwtError.NoExiWithoutClock:
                return AceRsError.TokenLifetimeMissing;
            case CwtError.MissingClaim:
                return claim == CwtClaimKey.Exp ? AceRsError.TokenLifetimeMissing : AceRsError.TokenClaimInvalid;
            case CwtError.UnsupportedCnf:
                return AceRsError.UnsupportedConfirmation;
            case CwtError.KeyMaterialNotEncrypted:
                return AceRsError.KeyMaterialNotEncrypted;
            case CwtError.InvalidCnf:
            case CwtError.CnfKeyMissing:
            case CwtError.CnfDecryptionFailed:
                return AceRsError.ConfirmationInvalid;
            default:
                return AceRsError.TokenClaimInvalid;
        }
    }
}
