namespace PopIoT.Core.Oscore;

/// <summary>
/// The OSCORE option value (RFC 8613 §6.1): a flag byte (bits 0–2 n = Partial IV length, bit 3 k = kid present,
/// bit 4 h = kid context present, bits 5–6 reserved, bit 7 extension), then the Partial IV, then s and the kid
/// context, then the kid (the rest of the value). All flags zero means an empty value. Decoding points into the
/// caller's buffer and never throws.
/// </summary>
public sealed class OscoreOption
{
    /// <summary>The largest value this endpoint writes: flags, 5-byte Partial IV, s, kid context, 7-byte kid.</summary>
    public const int MaxEncodedLength = 1 + 5 + 1 + SecurityContext.MaxIdContextLength + 7;

    /// <summary>Where the Partial IV starts, or -1 when absent.</summary>
    public int PartialIvOffset { get; private set; }

    /// <summary>The Partial IV length (0 when absent).</summary>
    public int PartialIvLength { get; private set; }

    /// <summary>Where the kid starts, or -1 when absent.</summary>
    public int KidOffset { get; private set; }

    /// <summary>The kid length (0 when absent or empty).</summary>
    public int KidLength { get; private set; }

    /// <summary>Where the kid context starts, or -1 when absent.</summary>
    public int KidContextOffset { get; private set; }

    /// <summary>The kid context length.</summary>
    public int KidContextLength { get; private set; }

    /// <summary>Whether the Partial IV is present.</summary>
    public bool HasPartialIv => PartialIvOffset >= 0;

    /// <summary>Whether the kid is present (possibly empty).</summary>
    public bool HasKid => KidOffset >= 0;

    /// <summary>Whether the kid context is present.</summary>
    public bool HasKidContext => KidContextOffset >= 0;

    /// <summary>Decodes an OSCORE option value (RFC 8613 §6.1).</summary>
    /// <param name="value">The buffer holding the value.</param>
    /// <param name="offset">Where it starts.</param>
    /// <param name="length">Its length.</param>
    /// <returns>False when the value is malformed (a reserved or extension flag, n of 6 or 7, a truncated field, or a 0x00 flag byte).</returns>
    public bool Decode(byte[] value, int offset, int length)
    {
        PartialIvOffset = -1;
        PartialIvLength = 0;
        KidOffset = -1;
        KidLength = 0;
        KidContextOffset = -1;
        KidContextLength = 0;
        if (length == 0)
        {
            return true;
        }

        int flags = value[offset];
        // RFC 8613 §6.1: all flags zero must be sent as an empty value; bits 5–7 are reserved or need an extension we do not implement.
        if (flags == 0 || (flags & 0xE0) != 0)
        {
            return false;
        }

        int n = flags & 0x07;
        // RFC 8613 §6.1: n = 6 and 7 are reserved.
        if (n > 5)
        {
            return false;
        }

        int p = offset + 1;
        int end = offset + length;
        if (n > 0)
        {
            if (end - p < n)
            {
                return false;
            }

            PartialIvOffset = p;
            PartialIvLength = n;
            p += n;
        }

        if ((flags & 0x10) != 0)
        {
            if (p >= end)
            {
                return false;
            }

            int s = value[p++];
            if (end - p < s)
            {
                return false;
            }

            KidContextOffset = p;
            KidContextLength = s;
            p += s;
        }

        if ((flags & 0x08) != 0)
        {
            KidOffset = p;
            KidLength = end - p;
            p = end;
        }

        // Bytes left over with no flag to own them make the value malformed.
        return p == end;
    }

    /// <summary>Encodes an OSCORE option value (RFC 8613 §6.1).</summary>
    /// <param name="partialIv">The Partial IV, 1..5 bytes, or empty for none.</param>
    /// <param name="kidContext">The kid context, or a range over no buffer (<c>default</c>) for none (its flag unset).</param>
    /// <param name="kid">The kid, or a range over no buffer for none; an empty range over a buffer is an empty kid.</param>
    /// <param name="destination">The output (<see cref="MaxEncodedLength"/> bytes suffice).</param>
    /// <param name="offset">Where to write.</param>
    /// <returns>The value length; 0 when every flag is zero.</returns>
    public static int Encode(ByteRange partialIv, ByteRange kidContext, ByteRange kid, byte[] destination, int offset)
    {
        int pivLength = partialIv.Count;
        int kidContextLength = kidContext.Buffer == null ? -1 : kidContext.Count;
        int kidLength = kid.Buffer == null ? -1 : kid.Count;
        int flags = pivLength;
        if (kidLength >= 0)
        {
            flags |= 0x08;
        }

        if (kidContextLength >= 0)
        {
            flags |= 0x10;
        }

        if (flags == 0)
        {
            return 0;
        }

        int p = offset;
        destination[p++] = (byte)flags;
        for (int i = 0; i < pivLength; i++)
        {
            destination[p++] = partialIv[i];
        }

        if (kidContextLength >= 0)
        {
            destination[p++] = (byte)kidContextLength;
            for (int i = 0; i < kidContextLength; i++)
            {
                destination[p++] = kidContext[i];
            }
        }

        for (int i = 0; i < kidLength; i++)
        {
            destination[p++] = kid[i];
        }

        return p - offset;
    }
}
