using System.Security.Cryptography;

using PopIoT.Core.Cbor;
using PopIoT.Core.Cose;

namespace PopIoT.Dtls;

/// <summary>The COSE_Key reader of <see cref="DtlsRawPublicKey"/> (RFC 9052 §7, RFC 9053 §7.1.1).</summary>
public static partial class DtlsRawPublicKey
{
    // One pass over the map: kty and crv first decide, x/y/d are copied out; unknown labels (kid, alg, key_ops) are
    // skipped (RFC 9052 §7), a repeated label is refused (RFC 9052 §7: labels are unique).
    private static Coordinates ReadCoseKey(byte[] encoded, int offset, int count)
    {
        var r = new CborReader(encoded, offset, count) { ThrowOnError = false };
        var c = new Coordinates();
        int kty = 0, crv = 0;
        int seen = 0;
        try
        {
            if (r.PeekState() != CborReaderState.StartMap)
            {
                throw new FormatException("the COSE_Key is not a CBOR map (RFC 9052 §7)");
            }

            int pairs = r.ReadStartMap();
            for (int i = 0; r.Error == CborError.None && (pairs < 0 ? r.PeekState() != CborReaderState.EndMap : i < pairs); i++)
            {
                CborReaderState state = r.PeekState();
                if (state != CborReaderState.UnsignedInteger && state != CborReaderState.NegativeInteger)
                {
                    r.SkipValue();
                    r.SkipValue();
                    continue;
                }

                long label = r.ReadInt64();
                int bit = label switch { CoseKeyLabel.Kty => 1, CoseKeyLabel.Crv => 2, CoseKeyLabel.X => 4, CoseKeyLabel.Y => 8, CoseKeyLabel.D => 16, _ => 0 };
                if (bit != 0 && (seen & bit) != 0)
                {
                    throw new FormatException("the COSE_Key repeats label " + label + " (RFC 9052 §7)");
                }

                seen |= bit;
                switch (label)
                {
                    case CoseKeyLabel.Kty:
                        kty = ReadSmallInt(r, "kty");
                        break;
                    case CoseKeyLabel.Crv:
                        crv = ReadSmallInt(r, "crv");
                        break;
                    case CoseKeyLabel.X:
                        c.X = ReadBytes(r, "x");
                        break;
                    case CoseKeyLabel.Y:
                        if (r.PeekState() == CborReaderState.Boolean)
                        {
                            throw new FormatException("the COSE_Key's y is a compressed-point sign bit; give y in full (RFC 9053 §7.1.1)");
                        }

                        c.Y = ReadBytes(r, "y");
                        break;
                    case CoseKeyLabel.D:
                        c.D = ReadBytes(r, "d");
                        break;
                    default:
                        r.SkipValue();
                        break;
                }
            }

            r.ReadEndMap();

            if (r.Error != CborError.None || r.BytesRemaining != 0)
            {
                throw new FormatException("the COSE_Key is not well-formed CBOR" + (r.Error != CborError.None ? " (" + r.Error + ")" : " (bytes after the map)"));
            }

            if ((seen & 1) == 0)
            {
                throw new FormatException("the COSE_Key has no kty (label 1, RFC 9052 §7)");
            }

            if (kty != CoseKeyType.Ec2 || crv != CoseCurve.P256)
            {
                throw new FormatException((seen & 2) == 0 && kty == CoseKeyType.Ec2 ? "the COSE_Key has no crv (label -1, RFC 9053 §7.1.1)" : KindText(kty, crv));
            }

            return c;
        }
        catch
        {
            c.Erase();
            throw;
        }
    }

    private static int ReadSmallInt(CborReader r, string name)
    {
        CborReaderState state = r.PeekState();
        if (state != CborReaderState.UnsignedInteger && state != CborReaderState.NegativeInteger)
        {
            throw new FormatException("the COSE_Key's " + name + " is not an integer (RFC 9052 §7; text names are not used here)");
        }

        long v = r.ReadInt64();
        return v is < int.MinValue or > int.MaxValue ? int.MinValue : (int)v;
    }

    private static byte[] ReadBytes(CborReader r, string name)
    {
        if (r.PeekState() != CborReaderState.ByteString)
        {
            throw new FormatException("the COSE_Key's " + name + " is not a byte string (RFC 9053 §7.1.1)");
        }

        return r.ReadByteString();
    }

    // The parts read from a COSE_Key; d is erased by the caller once used.
    private sealed class Coordinates
    {
        public byte[]? X { get; set; }

        public byte[]? Y { get; set; }

        public byte[]? D { get; set; }

        public void Erase()
        {
            if (D is not null)
            {
                CryptographicOperations.ZeroMemory(D);
            }
        }
    }
}
