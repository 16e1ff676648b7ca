using System;

namespace PopIoT.Core.Cbor;

/// <summary>
/// UTF-8 (RFC 3629) encode, decode and validate over <c>byte[]</c> slices, written for the nano subset,
/// which has no System.Text. Validation follows the table in RFC 3629 §4, so it rejects overlong forms,
/// UTF-16 surrogates (U+D800..U+DFFF), code points above U+10FFFF and truncated sequences.
/// </summary>
public static class Utf8
{
    /// <summary>
    /// Returns the number of UTF-8 bytes <paramref name="value"/> encodes to, or -1 if it holds an unpaired
    /// surrogate (which has no UTF-8 form, RFC 3629 §3).
    /// </summary>
    /// <param name="value">The string to measure.</param>
    /// <returns>The byte count, or -1.</returns>
    public static int GetByteCount(string value)
    {
        int n = 0;
        int length = value.Length;
        for (int i = 0; i < length; i++)
        {
            char c = value[i];
            if (c < 0x80)
            {
                n += 1;
            }
            else if (c < 0x800)
            {
                n += 2;
            }
            else if (c >= 0xD800 && c <= 0xDFFF)
            {
                // A high surrogate followed by a low one is one supplementary code point: 4 bytes.
                if (c > 0xDBFF || i + 1 >= length || value[i + 1] < 0xDC00 || value[i + 1] > 0xDFFF)
                {
                    return -1;
                }

                i++;
                n += 4;
            }
            else
            {
                n += 3;
            }
        }

        return n;
    }

    /// <summary>
    /// Encodes <paramref name="value"/> into <paramref name="destination"/> at <paramref name="offset"/>.
    /// The caller must have checked <see cref="GetByteCount"/> (not -1) and made room for that many bytes.
    /// </summary>
    /// <param name="value">A string without unpaired surrogates.</param>
    /// <param name="destination">The buffer to write to.</param>
    /// <param name="offset">Where to start writing.</param>
    /// <returns>The number of bytes written.</returns>
    public static int Encode(string value, byte[] destination, int offset)
    {
        int p = offset;
        int length = value.Length;
        for (int i = 0; i < length; i++)
        {
            int c = value[i];
            if (c < 0x80)
            {
                destination[p++] = (byte)c;
            }
            else if (c < 0x800)
            {
                destination[p++] = (byte)(0xC0 | (c >> 6));
                destination[p++] = (byte)(0x80 | (c & 0x3F));
            }
            else if (c >= 0xD800 && c <= 0xDBFF)
            {
                // RFC 3629 §3: a surrogate pair stands for one code point in U+10000..U+10FFFF.
                int cp = 0x10000 + ((c - 0xD800) << 10) + (value[++i] - 0xDC00);
                destination[p++] = (byte)(0xF0 | (cp >> 18));
                destination[p++] = (byte)(0x80 | ((cp >> 12) & 0x3F));
                destination[p++] = (byte)(0x80 | ((cp >> 6) & 0x3F));
                destination[p++] = (byte)(0x80 | (cp & 0x3F));
            }
            else
            {
                destination[p++] = (byte)(0xE0 | (c >> 12));
                destination[p++] = (byte)(0x80 | ((c >> 6) & 0x3F));
                destination[p++] = (byte)(0x80 | (c & 0x3F));
            }
        }

        return p - offset;
    }

    /// <summary>
    /// Checks that <paramref name="count"/> bytes at <paramref name="offset"/> are well-formed UTF-8.
    /// </summary>
    /// <param name="buffer">The bytes.</param>
    /// <param name="offset">The first byte.</param>
    /// <param name="count">How many bytes.</param>
    /// <returns>-1 if valid, else the index in <paramref name="buffer"/> of the first byte of the bad sequence.</returns>
    public static int Validate(byte[] buffer, int offset, int count)
    {
        int end = offset + count;

        // All ASCII, the common case for claim and header strings: checked eight bytes at a time (the high bit of
        // every byte, whatever the byte order), and then nothing else to do.
        // The last eight bytes are read once more from end - 8, so a short tail needs no byte loop.
        ulong wide = 0;
        int narrow = 0;
        if (count >= 8)
        {
            for (int k = offset; k < end - 8; k += 8)
            {
                wide |= BitConverter.ToUInt64(buffer, k);
            }

            wide |= BitConverter.ToUInt64(buffer, end - 8);
        }
        else
        {
            for (int k = offset; k < end; k++)
            {
                narrow |= buffer[k];
            }
        }

        if ((wide & 0x8080808080808080UL) == 0 && narrow < 0x80)
        {
            return -1;
        }

        int i = offset;
        while (i < end)
        {
            int b = buffer[i];
            if (b < 0x80)
            {
                i++;
                continue;
            }

            int need = SequenceLength(buffer, i, end);
            if (need < 0)
            {
                return i;
            }

            i += need;
        }

        return -1;
    }

    /// <summary>
    /// Returns the number of UTF-16 code units that valid UTF-8 <paramref name="buffer"/>[offset..offset+count]
    /// decodes to, or -1 if it is not valid UTF-8.
    /// </summary>
    /// <param name="buffer">The bytes.</param>
    /// <param name="offset">The first byte.</param>
    /// <param name="count">How many bytes.</param>
    /// <returns>The number of chars, or -1.</returns>
    public static int GetCharCount(byte[] buffer, int offset, int count)
    {
        int end = offset + count;
        int i = offset;
        int chars = 0;
        while (i < end)
        {
            if (buffer[i] < 0x80)
            {
                i++;
                chars++;
                continue;
            }

            int need = SequenceLength(buffer, i, end);
            if (need < 0)
            {
                return -1;
            }

            // Four-byte sequences are supplementary code points: two UTF-16 code units.
            chars += need == 4 ? 2 : 1;
            i += need;
        }

        return chars;
    }

    /// <summary>Decodes valid UTF-8 to a string; returns null if the bytes are not valid UTF-8.</summary>
    /// <param name="buffer">The bytes.</param>
    /// <param name="offset">The first byte.</param>
    /// <param name="count">How many bytes.</param>
    /// <returns>The string, or null.</returns>
    public static string Decode(byte[] buffer, int offset, int count)
    {
        int chars = GetCharCount(buffer, offset, count);
        if (chars < 0)
        {
            return null;
        }

        if (chars == 0)
        {
            return string.Empty;
        }

        char[] result = new char[chars];
        int end = offset + count;
        int i = offset;
        int c = 0;
        while (i < end)
        {
            int b = buffer[i];
            if (b < 0x80)
            {
                result[c++] = (char)b;
                i++;
            }
            else if (b < 0xE0)
            {
                result[c++] = (char)(((b & 0x1F) << 6) | (buffer[i + 1] & 0x3F));
                i += 2;
            }
            else if (b < 0xF0)
            {
                result[c++] = (char)(((b & 0x0F) << 12) | ((buffer[i + 1] & 0x3F) << 6) | (buffer[i + 2] & 0x3F));
                i += 3;
            }
            else
            {
                int cp = ((b & 0x07) << 18) | ((buffer[i + 1] & 0x3F) << 12) | ((buffer[i + 2] & 0x3F) << 6) | (buffer[i + 3] & 0x3F);
                cp -= 0x10000;
                result[c++] = (char)(0xD800 + (cp >> 10));
                result[c++] = (char)(0xDC00 + (cp & 0x3FF));
                i += 4;
            }
        }

        return new string(result);
    }

    // RFC 3629 §4 (UTF8-2, UTF8-3, UTF8-4): the second byte's range depends on the lead byte; this is what
    // excludes overlongs (C0, C1, E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and > U+10FFFF (F4 90.., F5..).
    private static int SequenceLength(byte[] buffer, int i, int end)
    {
        int b = buffer[i];
        int need;
        int lo = 0x80;
        int hi = 0xBF;
        if (b >= 0xC2 && b <= 0xDF)
        {
            need = 2;
        }
        else if (b >= 0xE0 && b <= 0xEF)
        {
            need = 3;
            if (b == 0xE0)
            {
                lo = 0xA0;
            }
            else if (b == 0xED)
            {
                hi = 0x9F;
            }
        }
        else if (b >= 0xF0 && b <= 0xF4)
        {
            need = 4;
            if (b == 0xF0)
            {
                lo = 0x90;
            }
            else if (b == 0xF4)
            {
                hi = 0x8F;
            }
        }
        else
        {
            return -1;
        }

        if (end - i < need)
        {
            return -1;
        }

        int b1 = buffer[i + 1];
        if (b1 < lo || b1 > hi)
        {
            return -1;
        }

        for (int k = 2; k < need; k++)
        {
            int bk = buffer[i + k];
            if (bk < 0x80 || bk > 0xBF)
            {
                return -1;
            }
        }

        return need;
    }
}
