using PopIoT.Core.Cbor;

namespace PopIoT.Core.Ace;

/// <summary>
/// The application/ace+cbor error map of a refused /authz-info POST (RFC 9200 §5.10.1.1 with the error parameters of
/// §5.8.3): { error (30): int, error_description (31): tstr }. PopIoT puts the <see cref="AceRsError"/> name in
/// error_description so the client can log the exact reason. The RS writes it with <see cref="Encode"/> (no
/// allocation); a client reads it with <see cref="TryParse"/>.
/// </summary>
public static class AceErrorResponse
{
    /// <summary>Writes the error map for a reason.</summary>
    /// <param name="error">The reason.</param>
    /// <param name="writer">A writer over the output buffer.</param>
    public static void Encode(AceRsError error, CborWriter writer)
    {
        int code = AceRsErrors.GetAceErrorCode(error);
        writer.WriteStartMap(code != 0 ? 2 : 1);
        if (code != 0)
        {
            writer.WriteInt32(AceParameters.Error);
            writer.WriteInt32(code);
        }

        writer.WriteInt32(AceParameters.ErrorDescription);
        writer.WriteTextString(AceRsErrors.Name(error));
    }

    /// <summary>Parses an error map (client side).</summary>
    /// <param name="payload">The array holding the payload.</param>
    /// <param name="offset">Where it starts.</param>
    /// <param name="count">Its length.</param>
    /// <param name="errorCode">Receives error (30), or 0 when absent.</param>
    /// <param name="description">Receives error_description (31), or null when absent.</param>
    /// <returns>False when the payload is not a map holding an integer error or a text error_description (a refusal
    /// for which no RFC 9200 error code applies, such as <see cref="AceRsError.TableFull"/>, carries only the latter).</returns>
    public static bool TryParse(byte[] payload, int offset, int count, out int errorCode, out string description)
    {
        errorCode = 0;
        description = null;
        bool found = false;
        try
        {
            CborReader r = AceMapReader.Open(payload, offset, count);
            ulong key;
            while (r != null && AceMapReader.NextKey(r, out key))
            {
                CborReaderState vs = r.PeekState();
                if (key == AceParameters.Error && (vs == CborReaderState.UnsignedInteger || vs == CborReaderState.NegativeInteger))
                {
                    errorCode = r.ReadInt32();
                    found = true;
                }
                else if (key == AceParameters.ErrorDescription && vs == CborReaderState.TextString)
                {
                    description = r.ReadTextString();
                    found = true;
                }
                else
                {
                    r.SkipValue();
                }
            }
        }
        catch (CborException)
        {
            found = false;
        }

        if (!found)
        {
            errorCode = 0;
            description = null;
        }

        return found;
    }
}
