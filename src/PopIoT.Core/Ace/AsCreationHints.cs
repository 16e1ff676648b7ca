using System;

using PopIoT.Core.Cbor;

namespace PopIoT.Core.Ace;

/// <summary>
/// AS Request Creation Hints (RFC 9200 §5.3): the application/ace+cbor map a resource server sends with 4.01 to an
/// unauthorised request, telling the client where to get a token: { AS (1): tstr, audience (5): tstr, ? scope (9),
/// ? cnonce (39): bstr }. The RS writes it with <see cref="Encode"/> (no allocation); a client reads it with
/// <see cref="TryParse"/>.
/// </summary>
public sealed class AsCreationHints
{
    /// <summary>The AS URI (1), or null.</summary>
    public string AsUri { get; private set; }

    /// <summary>The audience (5), or null.</summary>
    public string Audience { get; private set; }

    /// <summary>The scope (9) when it is a text string, or null.</summary>
    public string Scope { get; private set; }

    /// <summary>The encoded scope (9) when it is a byte string or an AIF array, or null.</summary>
    public byte[] ScopeBytes { get; private set; }

    /// <summary>The cnonce (39) a clockless RS asks the AS to put in the token, or null.</summary>
    public byte[] Cnonce { get; private set; }

    /// <summary>Writes the hints (RS side; no allocation).</summary>
    /// <param name="asUri">The AS URI (required by RFC 9200 §5.3).</param>
    /// <param name="audience">The RS's audience, or null.</param>
    /// <param name="cnonce">The array holding a cnonce, or null.</param>
    /// <param name="cnonceOffset">Where it starts.</param>
    /// <param name="cnonceLength">Its length.</param>
    /// <param name="writer">A writer over the output buffer.</param>
    public static void Encode(string asUri, string audience, byte[] cnonce, int cnonceOffset, int cnonceLength, CborWriter writer)
    {
        writer.WriteStartMap(1 + (audience != null ? 1 : 0) + (cnonce != null ? 1 : 0));
        writer.WriteInt32(AceParameters.As);
        writer.WriteTextString(asUri == null ? string.Empty : asUri);
        if (audience != null)
        {
            writer.WriteInt32(AceParameters.Audience);
            writer.WriteTextString(audience);
        }

        if (cnonce != null)
        {
            writer.WriteInt32(AceParameters.Cnonce);
            writer.WriteByteString(cnonce, cnonceOffset, cnonceLength);
        }
    }

    /// <summary>Parses hints (client side; allocates).</summary>
    /// <param name="payload">The array holding the 4.01 payload.</param>
    /// <param name="offset">Where it starts.</param>
    /// <param name="count">Its length.</param>
    /// <returns>The hints, or null when the payload is not a hints map with an AS URI.</returns>
    public static AsCreationHints TryParse(byte[] payload, int offset, int count)
    {
        AsCreationHints h = new AsCreationHints();
        try
        {
            CborReader r = AceMapReader.Open(payload, offset, count);
            if (r == null)
            {
                return null;
            }

            ulong key;
            while (AceMapReader.NextKey(r, out key))
            {
                CborReaderState vs = r.PeekState();
                if (key == AceParameters.As && vs == CborReaderState.TextString)
                {
                    h.AsUri = r.ReadTextString();
                }
                else if (key == AceParameters.Audience && vs == CborReaderState.TextString)
                {
                    h.Audience = r.ReadTextString();
                }
                else if (key == AceParameters.Scope && vs == CborReaderState.TextString)
                {
                    h.Scope = r.ReadTextString();
                }
                else if (key == AceParameters.Scope)
                {
                    int o;
                    int n;
                    r.ReadEncodedValue(out o, out n);
                    byte[] s = new byte[n];
                    Array.Copy(payload, o, s, 0, n);
                    h.ScopeBytes = s;
                }
                else if (key == AceParameters.Cnonce && vs == CborReaderState.ByteString)
                {
                    h.Cnonce = r.ReadByteString();
                }
                else
                {
                    r.SkipValue();
                }
            }
        }
        catch (CborException)
        {
            return null;
        }

        return h.AsUri == null ? null : h;
    }
}
