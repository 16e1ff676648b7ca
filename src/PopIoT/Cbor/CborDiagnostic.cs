using System;
using System.Globalization;
using System.Text;

using PopIoT.Core.Cbor;

namespace PopIoT.Cbor;

/// <summary>
/// Turns encoded CBOR into diagnostic notation (RFC 8949 §8), reading it with PopIoT's own
/// <see cref="CborReader"/>, so what is printed is exactly what the device would accept. Bad input throws
/// <see cref="CborException"/> with the offset of the offending byte in the input.
/// </summary>
public static class CborDiagnostic
{
    private static readonly CborDiagnosticOptions Defaults = new();

    /// <summary>
    /// Converts one encoded data item (or, with <see cref="CborDiagnosticOptions.Sequence"/>, a CBOR sequence)
    /// to diagnostic notation, e.g. <c>{1: "coap://as.example.com", 4: 1444064944}</c>.
    /// </summary>
    /// <param name="encoded">The encoded CBOR.</param>
    /// <param name="options">Options, or null for the defaults.</param>
    /// <returns>The diagnostic notation.</returns>
    public static string ToDiagnosticString(ReadOnlySpan<byte> encoded, CborDiagnosticOptions? options = null)
    {
        byte[] copy = encoded.ToArray();
        return ToDiagnosticString(copy, 0, copy.Length, options);
    }

    /// <summary>Like <see cref="ToDiagnosticString(ReadOnlySpan{byte}, CborDiagnosticOptions?)"/> over a slice; offsets in errors index <paramref name="buffer"/>.</summary>
    /// <param name="buffer">The buffer holding the encoded CBOR.</param>
    /// <param name="offset">The first byte.</param>
    /// <param name="count">How many bytes.</param>
    /// <param name="options">Options, or null for the defaults.</param>
    /// <returns>The diagnostic notation.</returns>
    public static string ToDiagnosticString(byte[] buffer, int offset, int count, CborDiagnosticOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        options ??= Defaults;
        CborReader reader = new(buffer, offset, count, options.MaxDepth);
        StringBuilder sb = new();

        if (options.Sequence)
        {
            bool first = true;
            while (reader.PeekState() != CborReaderState.Finished)
            {
                if (!first)
                {
                    sb.Append(", ");
                }

                first = false;
                WriteItem(reader, buffer, sb, options);
            }

            return sb.ToString();
        }

        WriteItem(reader, buffer, sb, options);
        if (reader.BytesRemaining > 0)
        {
            int at = reader.Position;
            if (!options.AllowTrailingBytes)
            {
                throw new CborException(CborError.TrailingBytes, at, reader.BytesRemaining.ToString(CultureInfo.InvariantCulture) + " trailing bytes after the data item");
            }

            sb.Append(" / ").Append(reader.BytesRemaining.ToString(CultureInfo.InvariantCulture))
              .Append(" trailing bytes at byte ").Append(at.ToString(CultureInfo.InvariantCulture)).Append(": ");
            AppendHex(sb, buffer, at, reader.BytesRemaining);
            sb.Append(" /");
        }

        return sb.ToString();
    }

    /// <summary>Formats a double the way RFC 8949 Appendix A does: shortest round-trip digits, always a decimal point or exponent.</summary>
    /// <param name="value">The value.</param>
    /// <returns>E.g. <c>1.0</c>, <c>-4.1</c>, <c>1.0e+300</c>, <c>5.960464477539063e-8</c>, <c>0.00006103515625</c>, <c>NaN</c>, <c>-Infinity</c>.</returns>
    public static string FormatFloat(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }

        if (double.IsPositiveInfinity(value))
        {
            return "Infinity";
        }

        if (double.IsNegativeInfinity(value))
        {
            return "-Infinity";
        }

        if (value == 0)
        {
            return double.IsNegative(value) ? "-0.0" : "0.0";
        }

        // "R" gives the shortest digits that round-trip. Split "R" into digits and a decimal exponent, then lay them out with the
        // ECMAScript Number::toString rules (fixed for 1e-7 <= |x| < 1e21), which match Appendix A's column.
        string shortest = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        string mantissa = shortest;
        int exp10 = 0;
        int e = shortest.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            mantissa = shortest[..e];
            exp10 = int.Parse(shortest[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }

        int dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        string digits = dot >= 0 ? mantissa[..dot] + mantissa[(dot + 1)..] : mantissa;
        int pointPos = (dot >= 0 ? dot : mantissa.Length) + exp10; // value = 0.digits * 10^pointPos after trimming
        int lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0')
        {
            lead++;
        }

        digits = digits[lead..];
        pointPos -= lead;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            digits = "0";
        }

        int k = digits.Length;
        int n = pointPos;
        StringBuilder sb = new();
        if (value < 0)
        {
            sb.Append('-');
        }

        if (k <= n && n <= 21)
        {
            sb.Append(digits).Append('0', n - k).Append(".0");
        }
        else if (0 < n && n <= 21)
        {
            sb.Append(digits, 0, n).Append('.').Append(digits, n, k - n);
        }
        else if (-6 < n && n <= 0)
        {
            sb.Append("0.").Append('0', -n).Append(digits);
        }
        else
        {
            sb.Append(digits[0]).Append('.');
            sb.Append(k == 1 ? "0" : digits[1..]);
            int x = n - 1;
            sb.Append('e').Append(x < 0 ? '-' : '+').Append(Math.Abs(x).ToString(CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    private static void WriteItem(CborReader reader, byte[] buffer, StringBuilder sb, CborDiagnosticOptions options)
    {
        // Tags wrap one item each and need no reader state, so a long chain of tags is printed in a loop
        // rather than by recursion; only arrays, maps and indefinite strings recurse, at most MaxDepth deep.
        int closers = 0;
        while (reader.PeekState() == CborReaderState.Tag)
        {
            sb.Append(reader.ReadTag().ToString(CultureInfo.InvariantCulture)).Append('(');
            closers++;
        }

        int off;
        int len;
        switch (reader.PeekState())
        {
            case CborReaderState.UnsignedInteger:
                sb.Append(reader.ReadUInt64().ToString(CultureInfo.InvariantCulture));
                break;
            case CborReaderState.NegativeInteger:
                // RFC 8949 §3.1: -1 - n, which reaches -2^64; UInt128 avoids the overflow of n + 1.
                sb.Append('-').Append(((UInt128)reader.ReadNegativeIntegerArgument() + 1).ToString(CultureInfo.InvariantCulture));
                break;
            case CborReaderState.ByteString:
                reader.ReadByteString(out off, out len);
                AppendHex(sb, buffer, off, len);
                break;
            case CborReaderState.TextString:
                reader.ReadTextString(out off, out len);
                AppendText(sb, buffer, off, len, options.EscapeNonAscii);
                break;
            case CborReaderState.StartIndefiniteLengthByteString:
                reader.ReadStartIndefiniteLengthByteString();
                sb.Append("(_ ");
                for (int i = 0; reader.PeekState() != CborReaderState.EndIndefiniteLengthByteString; i++)
                {
                    sb.Append(i > 0 ? ", " : string.Empty);
                    reader.ReadByteString(out off, out len);
                    AppendHex(sb, buffer, off, len);
                }

                reader.ReadEndIndefiniteLengthByteString();
                sb.Append(')');
                break;
            case CborReaderState.StartIndefiniteLengthTextString:
                reader.ReadStartIndefiniteLengthTextString();
                sb.Append("(_ ");
                for (int i = 0; reader.PeekState() != CborReaderState.EndIndefiniteLengthTextString; i++)
                {
                    sb.Append(i > 0 ? ", " : string.Empty);
                    reader.ReadTextString(out off, out len);
                    AppendText(sb, buffer, off, len, options.EscapeNonAscii);
                }

                reader.ReadEndIndefiniteLengthTextString();
                sb.Append(')');
                break;
            case CborReaderState.StartArray:
                {
                    int count = reader.ReadStartArray();
                    sb.Append(count < 0 ? "[_ " : "[");
                    for (int i = 0; reader.PeekState() != CborReaderState.EndArray; i++)
                    {
                        sb.Append(i > 0 ? ", " : string.Empty);
                        WriteItem(reader, buffer, sb, options);
                    }

                    reader.ReadEndArray();
                    sb.Append(']');
                    break;
                }

            case CborReaderState.StartMap:
                {
                    int count = reader.ReadStartMap();
                    sb.Append(count < 0 ? "{_ " : "{");
                    for (int i = 0; reader.PeekState() != CborReaderState.EndMap; i++)
                    {
                        sb.Append(i > 0 ? ", " : string.Empty);
                        WriteItem(reader, buffer, sb, options);
                        sb.Append(": ");
                        WriteItem(reader, buffer, sb, options);
                    }

                    reader.ReadEndMap();
                    sb.Append('}');
                    break;
                }

            case CborReaderState.Boolean:
                sb.Append(reader.ReadBoolean() ? "true" : "false");
                break;
            case CborReaderState.Null:
                reader.ReadNull();
                sb.Append("null");
                break;
            case CborReaderState.Undefined:
                reader.ReadUndefined();
                sb.Append("undefined");
                break;
            case CborReaderState.SimpleValue:
                sb.Append("simple(").Append(reader.ReadSimpleValue().ToString(CultureInfo.InvariantCulture)).Append(')');
                break;
            case CborReaderState.HalfPrecisionFloat:
            case CborReaderState.SinglePrecisionFloat:
            case CborReaderState.DoublePrecisionFloat:
                sb.Append(FormatFloat(reader.ReadDouble()));
                break;
            default:
                // Finished or an end state where an item was expected: let the reader name the problem.
                reader.SkipValue();
                break;
        }

        sb.Append(')', closers);
    }

    private static void AppendHex(StringBuilder sb, byte[] buffer, int offset, int count)
    {
        sb.Append("h'").Append(Convert.ToHexStringLower(buffer, offset, count)).Append('\'');
    }

    // RFC 8949 §8: text strings are written like JSON strings (RFC 8259 §7), with \uXXXX for UTF-16 code units.
    private static void AppendText(StringBuilder sb, byte[] buffer, int offset, int count, bool escapeNonAscii)
    {
        string s = Encoding.UTF8.GetString(buffer, offset, count); // the reader has validated the UTF-8
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\\':
                    sb.Append("\\\\");
                    break;
                case '\b':
                    sb.Append("\\b");
                    break;
                case '\f':
                    sb.Append("\\f");
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                case '\r':
                    sb.Append("\\r");
                    break;
                case '\t':
                    sb.Append("\\t");
                    break;
                default:
                    if (c < 0x20 || c == 0x7F || (c > 0x7F && escapeNonAscii))
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
    }
}
