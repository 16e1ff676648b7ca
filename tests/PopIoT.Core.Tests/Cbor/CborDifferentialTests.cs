using System;

using PopIoT.Core.Cbor;

using Xunit;

using Sfc = System.Formats.Cbor;

namespace PopIoT.Core.Tests.Cbor;

/// <summary>
/// Differential tests against System.Formats.Cbor (DESIGN.md §7): the same random items written by both writers
/// must be byte-identical, and both readers must read them back to the same values.
/// </summary>
public class CborDifferentialTests
{
    private const int Seed = 20261130;
    private const int Items = 100_000;

    [Fact]
    public void Random_items_encode_identically_and_read_back_equal_in_both_implementations()
    {
        RandomCbor gen = new(Seed);
        byte[] buffer = new byte[1 << 20];
        int totalBytes = 0;
        for (int i = 0; i < Items; i++)
        {
            CborWriter ours = new(buffer);
            Sfc.CborWriter theirs = new(Sfc.CborConformanceMode.Lax, convertIndefiniteLengthEncodings: false);
            gen.WriteItem(ours, theirs);
            byte[] expected = theirs.Encode();
            byte[] actual = buffer.AsSpan(0, ours.BytesWritten).ToArray();
            totalBytes += actual.Length;
            if (!expected.AsSpan().SequenceEqual(actual))
            {
                Assert.Fail($"seed {Seed} item {i}: ours {Convert.ToHexStringLower(actual)} != System.Formats.Cbor {Convert.ToHexStringLower(expected)}");
            }

            try
            {
                CborReader.Validate(actual, 0, actual.Length);
                ReadBothInLockstep(actual, gen.Random.Next(2) == 0);
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                Assert.Fail($"seed {Seed} item {i} {Convert.ToHexStringLower(actual)}: {e}");
            }
        }

        Assert.True(totalBytes > Items);
    }

    /// <summary>Walks one item with both readers at once, comparing every state and value.</summary>
    internal static void ReadBothInLockstep(byte[] data, bool concatenateStrings)
    {
        CborReader a = new(data);
        Sfc.CborReader b = new(data, Sfc.CborConformanceMode.Lax);
        while (true)
        {
            CborReaderState sa = a.PeekState();
            Sfc.CborReaderState sb = b.PeekState();
            // System.Formats.Cbor has no state of its own for undefined (0xf7): it reports a simple value.
            Assert.Equal(sb.ToString(), sa == CborReaderState.Undefined ? "SimpleValue" : sa.ToString());
            Assert.Equal(data.Length - b.BytesRemaining, a.Position);
            switch (sa)
            {
                case CborReaderState.Finished:
                    return;
                case CborReaderState.UnsignedInteger:
                    Assert.Equal(b.ReadUInt64(), a.ReadUInt64());
                    break;
                case CborReaderState.NegativeInteger:
                    Assert.Equal(b.ReadCborNegativeIntegerRepresentation(), a.ReadNegativeIntegerArgument());
                    break;
                case CborReaderState.ByteString:
                    {
                        a.ReadByteString(out int off, out int len);
                        Assert.True(b.ReadByteString().AsSpan().SequenceEqual(data.AsSpan(off, len)));
                        break;
                    }

                case CborReaderState.TextString:
                    Assert.Equal(b.ReadTextString(), a.ReadTextString());
                    break;
                case CborReaderState.StartIndefiniteLengthByteString:
                    if (concatenateStrings)
                    {
                        Assert.Equal(b.ReadByteString(), a.ReadByteString());
                    }
                    else
                    {
                        a.ReadStartIndefiniteLengthByteString();
                        b.ReadStartIndefiniteLengthByteString();
                    }

                    break;
                case CborReaderState.EndIndefiniteLengthByteString:
                    a.ReadEndIndefiniteLengthByteString();
                    b.ReadEndIndefiniteLengthByteString();
                    break;
                case CborReaderState.StartIndefiniteLengthTextString:
                    if (concatenateStrings)
                    {
                        Assert.Equal(b.ReadTextString(), a.ReadTextString());
                    }
                    else
                    {
                        a.ReadStartIndefiniteLengthTextString();
                        b.ReadStartIndefiniteLengthTextString();
                    }

                    break;
                case CborReaderState.EndIndefiniteLengthTextString:
                    a.ReadEndIndefiniteLengthTextString();
                    b.ReadEndIndefiniteLengthTextString();
                    break;
                case CborReaderState.StartArray:
                    Assert.Equal(b.ReadStartArray() ?? -1, a.ReadStartArray());
                    break;
                case CborReaderState.EndArray:
                    a.ReadEndArray();
                    b.ReadEndArray();
                    break;
                case CborReaderState.StartMap:
                    Assert.Equal(b.ReadStartMap() ?? -1, a.ReadStartMap());
                    break;
                case CborReaderState.EndMap:
                    a.ReadEndMap();
                    b.ReadEndMap();
                    break;
                case CborReaderState.Tag:
                    Assert.Equal((ulong)b.ReadTag(), a.ReadTag());
                    break;
                case CborReaderState.SimpleValue:
                    Assert.Equal((byte)b.ReadSimpleValue(), a.ReadSimpleValue());
                    break;
                case CborReaderState.Boolean:
                    Assert.Equal(b.ReadBoolean(), a.ReadBoolean());
                    break;
                case CborReaderState.Null:
                    a.ReadNull();
                    b.ReadNull();
                    break;
                case CborReaderState.Undefined:
                    a.ReadUndefined();
                    Assert.Equal(Sfc.CborSimpleValue.Undefined, b.ReadSimpleValue());
                    break;
                default:
                    {
                        double x = b.ReadDouble();
                        double y = a.ReadDouble();
                        if (double.IsNaN(x))
                        {
                            Assert.True(double.IsNaN(y));
                        }
                        else
                        {
                            Assert.Equal(BitConverter.DoubleToInt64Bits(x), BitConverter.DoubleToInt64Bits(y));
                        }

                        break;
                    }
            }
        }
    }
}
