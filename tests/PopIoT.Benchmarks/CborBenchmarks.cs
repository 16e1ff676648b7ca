using System;

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

using PopIoT.Core.Cbor;

using Sfc = System.Formats.Cbor;

namespace PopIoT.Benchmarks;

/// <summary>
/// Encode and decode of a CWT claims set (RFC 8392 Appendix A.1 claims with integer keys 1..7, plus an RFC 8747
/// cnf holding a 16-byte symmetric COSE_Key), PopIoT's codec against System.Formats.Cbor as the baseline.
/// Both sides reuse their writer/reader and output buffer, and decode strings as slices, so the comparison is
/// codec work only. PopIoT validates UTF-8 when reading text; System.Formats.Cbor in Lax mode does not.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class CborBenchmarks
{
    private const string Iss = "coap://as.example.com";
    private const string Sub = "erikw";
    private const string Aud = "coap://light.example.com";
    private const long Exp = 1444064944;
    private const long Nbf = 1443944944;
    private const long Iat = 1443944944;

    private static readonly byte[] Cti = [0x0b, 0x71];
    private static readonly byte[] Kid = [0x6b, 0x69, 0x64, 0x31];
    private static readonly byte[] Key = [0x23, 0x1f, 0x4c, 0x4d, 0x4d, 0x04, 0x5e, 0x6b, 0x9c, 0x6d, 0x9e, 0x2f, 0x1a, 0x5d, 0x97, 0x6a];

    private readonly byte[] _output = new byte[256];
    private readonly CborWriter _writer;
    private readonly Sfc.CborWriter _sfcWriter = new(Sfc.CborConformanceMode.Lax, convertIndefiniteLengthEncodings: false);
    private byte[] _encoded = [];
    private CborReader _reader = null!;
    private Sfc.CborReader _sfcReader = null!;

    /// <summary>Creates the reused writer over the output buffer.</summary>
    public CborBenchmarks()
    {
        _writer = new CborWriter(_output);
    }

    /// <summary>Encodes the claims once so the decoders have input, and checks both encoders agree.</summary>
    [GlobalSetup]
    public void Setup()
    {
        int n = EncodePopIoT();
        _encoded = _output.AsSpan(0, n).ToArray();
        _sfcWriter.Reset();
        WriteSfc(_sfcWriter);
        if (!_sfcWriter.Encode().AsSpan().SequenceEqual(_encoded))
        {
            throw new InvalidOperationException("the two encoders disagree");
        }

        _reader = new CborReader(_encoded);
        _sfcReader = new Sfc.CborReader(_encoded, Sfc.CborConformanceMode.Lax);
    }

    /// <summary>System.Formats.Cbor: write the claims set into a reused writer and copy it out.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Encode")]
    public int Encode_SystemFormatsCbor()
    {
        _sfcWriter.Reset();
        WriteSfc(_sfcWriter);
        return _sfcWriter.Encode(_output);
    }

    /// <summary>PopIoT: write the claims set straight into the caller's buffer.</summary>
    [Benchmark]
    [BenchmarkCategory("Encode")]
    public int Encode_PopIoT()
    {
        return EncodePopIoT();
    }

    /// <summary>System.Formats.Cbor: read every claim, strings as slices, into locals.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Decode")]
    public long Decode_SystemFormatsCbor()
    {
        Sfc.CborReader r = _sfcReader;
        r.Reset(_encoded);
        long sum = 0;
        int? pairs = r.ReadStartMap();
        for (int i = 0; i < pairs; i++)
        {
            int key = r.ReadInt32();
            switch (key)
            {
                case 1:
                case 2:
                case 3:
                    sum += r.ReadDefiniteLengthTextStringBytes().Length;
                    break;
                case 4:
                case 5:
                case 6:
                    sum += r.ReadInt64();
                    break;
                case 7:
                    sum += r.ReadDefiniteLengthByteString().Length;
                    break;
                default:
                    r.ReadStartMap();
                    r.ReadInt32();
                    int? keyPairs = r.ReadStartMap();
                    for (int k = 0; k < keyPairs; k++)
                    {
                        int label = r.ReadInt32();
                        sum += label == 1 ? r.ReadInt32() : r.ReadDefiniteLengthByteString().Length;
                    }

                    r.ReadEndMap();
                    r.ReadEndMap();
                    break;
            }
        }

        r.ReadEndMap();
        return sum;
    }

    /// <summary>PopIoT: read every claim, strings as slices (UTF-8 validated), into locals.</summary>
    [Benchmark]
    [BenchmarkCategory("Decode")]
    public long Decode_PopIoT()
    {
        CborReader r = _reader;
        r.Reset(_encoded, 0, _encoded.Length);
        long sum = 0;
        int pairs = r.ReadStartMap();
        for (int i = 0; i < pairs; i++)
        {
            int key = r.ReadInt32();
            int off;
            int len;
            switch (key)
            {
                case 1:
                case 2:
                case 3:
                    r.ReadTextString(out off, out len);
                    sum += len;
                    break;
                case 4:
                case 5:
                case 6:
                    sum += r.ReadInt64();
                    break;
                case 7:
                    r.ReadByteString(out off, out len);
                    sum += len;
                    break;
                default:
                    r.ReadStartMap();
                    r.ReadInt32();
                    int keyPairs = r.ReadStartMap();
                    for (int k = 0; k < keyPairs; k++)
                    {
                        int label = r.ReadInt32();
                        if (label == 1)
                        {
                            sum += r.ReadInt32();
                        }
                        else
                        {
                            r.ReadByteString(out off, out len);
                            sum += len;
                        }
                    }

                    r.ReadEndMap();
                    r.ReadEndMap();
                    break;
            }
        }

        r.ReadEndMap();
        return sum;
    }

    /// <summary>PopIoT: check the whole claims set is one well-formed item (new reader each time).</summary>
    [Benchmark]
    [BenchmarkCategory("Decode")]
    public int Validate_PopIoT()
    {
        CborReader.Validate(_encoded, 0, _encoded.Length);
        return _encoded.Length;
    }

    private int EncodePopIoT()
    {
        CborWriter w = _writer;
        w.Reset();
        w.WriteStartMap(8);
        w.WriteInt32(1);
        w.WriteTextString(Iss);
        w.WriteInt32(2);
        w.WriteTextString(Sub);
        w.WriteInt32(3);
        w.WriteTextString(Aud);
        w.WriteInt32(4);
        w.WriteInt64(Exp);
        w.WriteInt32(5);
        w.WriteInt64(Nbf);
        w.WriteInt32(6);
        w.WriteInt64(Iat);
        w.WriteInt32(7);
        w.WriteByteString(Cti);
        w.WriteInt32(8); // cnf (RFC 8747 §3.1)
        w.WriteStartMap(1);
        w.WriteInt32(1); // COSE_Key
        w.WriteStartMap(3);
        w.WriteInt32(1); // kty: Symmetric (4)
        w.WriteInt32(4);
        w.WriteInt32(2); // kid
        w.WriteByteString(Kid);
        w.WriteInt32(-1); // k
        w.WriteByteString(Key);
        return w.BytesWritten;
    }

    private static void WriteSfc(Sfc.CborWriter w)
    {
        w.WriteStartMap(8);
        w.WriteInt32(1);
        w.WriteTextString(Iss);
        w.WriteInt32(2);
        w.WriteTextString(Sub);
        w.WriteInt32(3);
        w.WriteTextString(Aud);
        w.WriteInt32(4);
        w.WriteInt64(Exp);
        w.WriteInt32(5);
        w.WriteInt64(Nbf);
        w.WriteInt32(6);
        w.WriteInt64(Iat);
        w.WriteInt32(7);
        w.WriteByteString(Cti);
        w.WriteInt32(8);
        w.WriteStartMap(1);
        w.WriteInt32(1);
        w.WriteStartMap(3);
        w.WriteInt32(1);
        w.WriteInt32(4);
        w.WriteInt32(2);
        w.WriteByteString(Kid);
        w.WriteInt32(-1);
        w.WriteByteString(Key);
        w.WriteEndMap();
        w.WriteEndMap();
        w.WriteEndMap();
    }
}
