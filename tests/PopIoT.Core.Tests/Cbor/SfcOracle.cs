using System;
using System.Text;

using Sfc = System.Formats.Cbor;

namespace PopIoT.Core.Tests.Cbor;

/// <summary>What System.Formats.Cbor (Lax) makes of an input, plus the facts where PopIoT deliberately differs.</summary>
internal readonly record struct OracleVerdict(bool WellFormed, int Depth, bool HasInvalidUtf8, bool HasShortSimpleValue, string? Error);

/// <summary>
/// The oracle: walks one data item with System.Formats.Cbor in <see cref="Sfc.CborConformanceMode.Lax"/> (so it checks
/// well-formedness only), requires no trailing bytes, and records the nesting depth (arrays, maps and
/// indefinite-length strings, as PopIoT counts it), invalid UTF-8 in text strings and two-byte simple values below 32.
/// </summary>
internal static class SfcOracle
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static OracleVerdict Judge(byte[] data)
    {
        Sfc.CborReader r = new(data, Sfc.CborConformanceMode.Lax);
        int depth = 0;
        int maxDepth = 0;
        bool badUtf8 = false;
        bool shortSimple = false;
        try
        {
            bool started = false;
            while (true)
            {
                Sfc.CborReaderState s = r.PeekState();
                if (s == Sfc.CborReaderState.Finished)
                {
                    if (!started)
                    {
                        return new OracleVerdict(false, 0, false, false, "empty");
                    }

                    break;
                }

                started = true;
                int at = data.Length - r.BytesRemaining;
                switch (s)
                {
                    case Sfc.CborReaderState.UnsignedInteger:
                        r.ReadUInt64();
                        break;
                    case Sfc.CborReaderState.NegativeInteger:
                        r.ReadCborNegativeIntegerRepresentation();
                        break;
                    case Sfc.CborReaderState.ByteString:
                        r.ReadDefiniteLengthByteString();
                        break;
                    case Sfc.CborReaderState.TextString:
                        {
                            ReadOnlyMemory<byte> t = r.ReadDefiniteLengthTextStringBytes();
                            try
                            {
                                StrictUtf8.GetCharCount(t.Span);
                            }
                            catch (DecoderFallbackException)
                            {
                                badUtf8 = true;
                            }

                            break;
                        }

                    case Sfc.CborReaderState.StartIndefiniteLengthByteString:
                        r.ReadStartIndefiniteLengthByteString();
                        maxDepth = Math.Max(maxDepth, ++depth);
                        break;
                    case Sfc.CborReaderState.EndIndefiniteLengthByteString:
                        r.ReadEndIndefiniteLengthByteString();
                        depth--;
                        break;
                    case Sfc.CborReaderState.StartIndefiniteLengthTextString:
                        r.ReadStartIndefiniteLengthTextString();
                        maxDepth = Math.Max(maxDepth, ++depth);
                        break;
                    case Sfc.CborReaderState.EndIndefiniteLengthTextString:
                        r.ReadEndIndefiniteLengthTextString();
                        depth--;
                        break;
                    case Sfc.CborReaderState.StartArray:
                        r.ReadStartArray();
                        maxDepth = Math.Max(maxDepth, ++depth);
                        break;
                    case Sfc.CborReaderState.EndArray:
                        r.ReadEndArray();
                        depth--;
                        break;
                    case Sfc.CborReaderState.StartMap:
                        r.ReadStartMap();
                        maxDepth = Math.Max(maxDepth, ++depth);
                        break;
                    case Sfc.CborReaderState.EndMap:
                        r.ReadEndMap();
                        depth--;
                        break;
                    case Sfc.CborReaderState.Tag:
                        r.ReadTag();
                        break;
                    case Sfc.CborReaderState.HalfPrecisionFloat:
                    case Sfc.CborReaderState.SinglePrecisionFloat:
                    case Sfc.CborReaderState.DoublePrecisionFloat:
                        r.ReadDouble();
                        break;
                    default:
                        // Null, Boolean, Undefined, SimpleValue: all simple values.
                        if (data[at] == 0xF8 && at + 1 < data.Length && data[at + 1] < 32)
                        {
                            shortSimple = true;
                        }

                        r.ReadSimpleValue();
                        break;
                }

                if (depth == 0 && s != Sfc.CborReaderState.Tag)
                {
                    // One top-level item is complete; anything after it is trailing.
                    if (r.BytesRemaining != 0)
                    {
                        return new OracleVerdict(false, maxDepth, badUtf8, shortSimple, "trailing bytes");
                    }
                }
            }
        }
        catch (Exception e) when (e is Sfc.CborContentException or InvalidOperationException or FormatException or OverflowException)
        {
            return new OracleVerdict(false, maxDepth, badUtf8, shortSimple, e.GetType().Name + ": " + e.Message);
        }

        return new OracleVerdict(true, maxDepth, badUtf8, shortSimple, null);
    }
}
