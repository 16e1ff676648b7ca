using System;
using System.Text;

using PopIoT.Core.Cbor;

using Sfc = System.Formats.Cbor;

namespace PopIoT.Core.Tests.Cbor;

/// <summary>
/// Writes the same random data item with PopIoT's CborWriter and with System.Formats.Cbor's (the oracle),
/// driven by one seeded System.Random so a failure can be replayed from its seed.
/// </summary>
internal sealed class RandomCbor
{
    // Non-ASCII on purpose: 2-, 3- and 4-byte UTF-8 forms, including a surrogate pair (U+10151) and U+FFFF.
    private static readonly string[] Pieces = ["a", "IETF", "\u00fc", "\u6c34", "\ud800\udd51", "\"\\", "\u0000", "\u007f", "\u07ff", "\uffff", "\ud83d\ude00", " ", "coap://", "\udbff\udfff", "\ue000"];

    private static readonly double[] SpecialDoubles =
    [
        0.0, -0.0, 1.0, 1.1, 1.5, 65504.0, 65505.0, 100000.0, 3.4028234663852886e+38, 1.0e+300, 5.960464477539063e-8,
        0.00006103515625, -4.0, -4.1, double.PositiveInfinity, double.NegativeInfinity, double.NaN, double.Epsilon,
        -double.Epsilon, double.MaxValue, double.MinValue, 1.401298464324817e-45, 2.98023223876953125e-8, 6.097555160522461e-5,
        float.MaxValue, float.MinValue, 1363896240.5, BitConverter.Int64BitsToDouble(0x7ff0000000000001), BitConverter.Int64BitsToDouble(0x7ff8000000000000),
        BitConverter.Int64BitsToDouble(unchecked((long)0xfff4000000000000)),
    ];

    private readonly Random _rnd;

    public RandomCbor(int seed)
    {
        _rnd = SeededRandomSource.NewRandom(seed);
    }

    public int MaxDepth { get; set; } = 4;

    public Random Random => _rnd;

    public void WriteItem(CborWriter ours, Sfc.CborWriter theirs, int depth = 0)
    {
        int kind = _rnd.Next(depth >= MaxDepth ? 9 : 14);
        switch (kind)
        {
            case 0:
                {
                    ulong v = NextUInt64();
                    ours.WriteUInt64(v);
                    theirs.WriteUInt64(v);
                    break;
                }

            case 1:
                {
                    ulong v = NextUInt64();
                    ours.WriteNegativeIntegerArgument(v);
                    theirs.WriteCborNegativeIntegerRepresentation(v);
                    break;
                }

            case 2:
                {
                    long v = (long)NextUInt64();
                    ours.WriteInt64(v);
                    theirs.WriteInt64(v);
                    break;
                }

            case 3:
                {
                    byte[] b = NextBytes();
                    int off = b.Length == 0 ? 0 : _rnd.Next(b.Length);
                    ours.WriteByteString(b, off, b.Length - off);
                    theirs.WriteByteString(b.AsSpan(off));
                    break;
                }

            case 4:
                {
                    string s = NextText();
                    if (_rnd.Next(2) == 0)
                    {
                        ours.WriteTextString(s);
                    }
                    else
                    {
                        byte[] utf8 = Encoding.UTF8.GetBytes(s);
                        ours.WriteTextString(utf8, 0, utf8.Length);
                    }

                    theirs.WriteTextString(s);
                    break;
                }

            case 5:
                {
                    double d = NextDouble();
                    // Preferred serialization on both sides: System.Formats.Cbor's WriteDouble picks the shortest exact width.
                    ours.WriteFloat(d);
                    theirs.WriteDouble(d);
                    break;
                }

            case 6:
                {
                    int r = _rnd.Next(6);
                    if (r == 0)
                    {
                        ours.WriteNull();
                        theirs.WriteNull();
                    }
                    else if (r == 1)
                    {
                        ours.WriteUndefined();
                        theirs.WriteSimpleValue(Sfc.CborSimpleValue.Undefined);
                    }
                    else if (r == 2)
                    {
                        bool b = _rnd.Next(2) == 0;
                        ours.WriteBoolean(b);
                        theirs.WriteBoolean(b);
                    }
                    else
                    {
                        byte sv = (byte)_rnd.Next(256);
                        if (sv >= 20 && sv < 32)
                        {
                            sv = (byte)(sv + 12); // 20..23 have their own APIs; 24..31 are not simple values (RFC 8949 §3.3)
                        }

                        ours.WriteSimpleValue(sv);
                        theirs.WriteSimpleValue((Sfc.CborSimpleValue)sv);
                    }

                    break;
                }

            case 7:
                {
                    ours.WriteStartIndefiniteLengthByteString();
                    theirs.WriteStartIndefiniteLengthByteString();
                    int n = _rnd.Next(4);
                    for (int i = 0; i < n; i++)
                    {
                        byte[] b = NextBytes();
                        ours.WriteByteString(b);
                        theirs.WriteByteString(b);
                    }

                    ours.WriteBreak();
                    theirs.WriteEndIndefiniteLengthByteString();
                    break;
                }

            case 8:
                {
                    ours.WriteStartIndefiniteLengthTextString();
                    theirs.WriteStartIndefiniteLengthTextString();
                    int n = _rnd.Next(4);
                    for (int i = 0; i < n; i++)
                    {
                        string s = NextText();
                        ours.WriteTextString(s);
                        theirs.WriteTextString(s);
                    }

                    ours.WriteBreak();
                    theirs.WriteEndIndefiniteLengthTextString();
                    break;
                }

            case 9:
                {
                    int n = NextCount();
                    ours.WriteStartArray(n);
                    theirs.WriteStartArray(n);
                    for (int i = 0; i < n; i++)
                    {
                        WriteItem(ours, theirs, depth + 1);
                    }

                    theirs.WriteEndArray();
                    break;
                }

            case 10:
                {
                    int n = NextCount() / 2;
                    ours.WriteStartMap(n);
                    theirs.WriteStartMap(n);
                    for (int i = 0; i < 2 * n; i++)
                    {
                        WriteItem(ours, theirs, depth + 1);
                    }

                    theirs.WriteEndMap();
                    break;
                }

            case 11:
                {
                    int n = _rnd.Next(5);
                    ours.WriteStartIndefiniteLengthArray();
                    theirs.WriteStartArray(null);
                    for (int i = 0; i < n; i++)
                    {
                        WriteItem(ours, theirs, depth + 1);
                    }

                    ours.WriteBreak();
                    theirs.WriteEndArray();
                    break;
                }

            case 12:
                {
                    int n = _rnd.Next(3);
                    ours.WriteStartIndefiniteLengthMap();
                    theirs.WriteStartMap(null);
                    for (int i = 0; i < 2 * n; i++)
                    {
                        WriteItem(ours, theirs, depth + 1);
                    }

                    ours.WriteBreak();
                    theirs.WriteEndMap();
                    break;
                }

            default:
                {
                    ulong tag = NextUInt64();
                    ours.WriteTag(tag);
                    theirs.WriteTag((Sfc.CborTag)tag);
                    WriteItem(ours, theirs, depth + 1);
                    break;
                }
        }
    }

    // Integers spread over every head width, with the boundaries (23/24, 255/256, ...) hit often.
    public ulong NextUInt64()
    {
        switch (_rnd.Next(6))
        {
            case 0:
                return (ulong)_rnd.Next(30);
            case 1:
                {
                    ulong[] edges = [23, 24, 255, 256, 65535, 65536, 4294967295, 4294967296, long.MaxValue, (ulong)long.MaxValue + 1, ulong.MaxValue, ulong.MaxValue - 1];
                    return edges[_rnd.Next(edges.Length)];
                }

            default:
                {
                    int bits = _rnd.Next(1, 65);
                    ulong v = (ulong)_rnd.NextInt64() ^ ((ulong)_rnd.NextInt64() << 1);
                    return bits == 64 ? v : v & ((1UL << bits) - 1);
                }
        }
    }

    public double NextDouble()
    {
        switch (_rnd.Next(5))
        {
            case 0:
                return SpecialDoubles[_rnd.Next(SpecialDoubles.Length)];
            case 1:
                return (double)BitConverter.UInt16BitsToHalf((ushort)_rnd.Next(65536));
            case 2:
                return BitConverter.Int32BitsToSingle(_rnd.Next() ^ (_rnd.Next() << 1));
            case 3:
                return _rnd.Next(-100000, 100000) / 8.0;
            default:
                return BitConverter.Int64BitsToDouble(_rnd.NextInt64() ^ (_rnd.NextInt64() << 1));
        }
    }

    private byte[] NextBytes()
    {
        int len = _rnd.Next(10) == 0 ? _rnd.Next(20, 300) : _rnd.Next(0, 30);
        byte[] b = new byte[len];
        _rnd.NextBytes(b);
        return b;
    }

    private string NextText()
    {
        StringBuilder sb = new();
        int n = _rnd.Next(10) == 0 ? _rnd.Next(10, 80) : _rnd.Next(0, 6);
        for (int i = 0; i < n; i++)
        {
            sb.Append(Pieces[_rnd.Next(Pieces.Length)]);
        }

        return sb.ToString();
    }

    private int NextCount()
    {
        return _rnd.Next(20) == 0 ? _rnd.Next(20, 30) : _rnd.Next(0, 6);
    }
}
