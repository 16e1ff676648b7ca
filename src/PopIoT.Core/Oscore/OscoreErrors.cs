using PopIoT.Core.Coap;

namespace PopIoT.Core.Oscore;

/// <summary>
/// The unprotected error responses of RFC 8613 §8.2 and §7.4: code, Outer Max-Age 0 and the diagnostic payload text.
/// The texts are encoded once, here, so writing an error allocates nothing.
/// </summary>
public static class OscoreErrors
{
    // RFC 8613 §8.2 step 2, first bullet.
    private static readonly byte[] FailedToDecode = Ascii("Failed to decode COSE");

    // RFC 8613 §8.2 step 2, second bullet.
    private static readonly byte[] ContextNotFound = Ascii("Security context not found");

    // RFC 8613 §8.2 step 6.
    private static readonly byte[] DecryptionFailedText = Ascii("Decryption failed");

    // RFC 8613 §7.4.
    private static readonly byte[] ReplayDetectedText = Ascii("Replay detected");

    private static readonly byte[] TooLarge = Ascii("Request too large for OSCORE");

    // RFC 7252 §5.4.1 (a diagnostic payload is optional; this names the reason).
    private static readonly byte[] UnrecognizedCritical = Ascii("Unrecognized critical option");

    /// <summary>The response code for a failed verification, or 0 when <paramref name="status"/> is not an error response.</summary>
    /// <param name="status">The status of a request verification.</param>
    /// <returns>4.02, 4.01, 4.00, 4.13 or 0.</returns>
    public static byte GetCode(OscoreStatus status)
    {
        switch (status)
        {
            case OscoreStatus.BadOption:
            case OscoreStatus.UnrecognizedCriticalOption:
                return CoapCode.BadOption;
            case OscoreStatus.SecurityContextNotFound:
            case OscoreStatus.ReplayDetected:
                return CoapCode.Unauthorized;
            case OscoreStatus.DecryptionFailed:
                return CoapCode.BadRequest;
            case OscoreStatus.MessageTooLarge:
                return CoapCode.RequestEntityTooLarge;
            default:
                return 0;
        }
    }

    /// <summary>The §8 diagnostic payload (ASCII) for <paramref name="status"/>, or null. Do not modify the returned array.</summary>
    /// <param name="status">The status.</param>
    /// <returns>The shared text bytes, or null.</returns>
    public static byte[] GetDiagnostic(OscoreStatus status)
    {
        switch (status)
        {
            case OscoreStatus.BadOption:
                return FailedToDecode;
            case OscoreStatus.SecurityContextNotFound:
                return ContextNotFound;
            case OscoreStatus.DecryptionFailed:
                return DecryptionFailedText;
            case OscoreStatus.ReplayDetected:
                return ReplayDetectedText;
            case OscoreStatus.MessageTooLarge:
                return TooLarge;
            case OscoreStatus.UnrecognizedCriticalOption:
                return UnrecognizedCritical;
            default:
                return null;
        }
    }

    /// <summary>
    /// Fills <paramref name="response"/> (token already set by the caller) with the unprotected §8 error for
    /// <paramref name="status"/>: the code, an Outer Max-Age of 0 so intermediaries do not cache it (RFC 8613 §8.2),
    /// and the diagnostic payload. The error itself is not protected: the server has no context it can trust for it.
    /// <see cref="OscoreStatus.UnrecognizedCriticalOption"/> is the exception: its request verified, so answer it with
    /// <see cref="OscoreProcessor.ProtectBadOption"/> instead (written here it is an unprotected 4.02).
    /// </summary>
    /// <param name="status">An error status (one with a non-zero <see cref="GetCode"/>).</param>
    /// <param name="response">The response to fill.</param>
    /// <returns>False when <paramref name="status"/> has no error response.</returns>
    public static bool WriteErrorResponse(OscoreStatus status, CoapMessage response)
    {
        byte code = GetCode(status);
        if (code == 0)
        {
            return false;
        }

        response.ClearOptions();
        response.Code = code;
        response.AddUintOption(CoapOptionNumber.MaxAge, 0);
        byte[] text = GetDiagnostic(status);
        response.SetPayload(text, 0, text.Length);
        return true;
    }

    private static byte[] Ascii(string s)
    {
        byte[] b = new byte[s.Length];
        for (int i = 0; i < s.Length; i++)
        {
            b[i] = (byte)s[i];
        }

        return b;
    }
}
