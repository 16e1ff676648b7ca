using System;
using PopIoT.Core.Cbor;

namespace PopIoT.Core.Cose;

/// <summary>
/// Reading a COSE_Key map (RFC 9052 §7, RFC 9053 §7): labels in any order, unknown labels skipped, bad input answered
/// with a <see cref="CoseError"/> and a null key.
/// </summary>
public sealed partial class CoseKey
{
    /// <summary>
    /// Decodes a COSE_Key map (labels in any order; unknown labels skipped). Never throws for bad
    /// input: it returns the reason and a null key.
    /// </summary>
    /// <param name="buffer">The encoded key.</param>
    /// <param name="offset">Where it starts.</param>
    /// <param name="count">Its length; it must be exactly one map.</param>
    /// <param name="key">The key, or null unless the result is <see cref="CoseError.None"/>.</param>
    /// <returns>Why the key was refused, or <see cref="CoseError.None"/>.</returns>
    /// <exception cref="ArgumentException">The window does not fit the buffer.</exception>
    public static CoseError Decode(byte[] buffer, int offset, int count, out CoseKey key)
    {
        key = null;
        if (buffer == null || offset < 0 || count < 0 || count > buffer.Length - offset)
        {
            throw new ArgumentException("The window does not fit the buffer.");
        }

        try
        {
            return DecodeCore(buffer, offset, count, out key);
        }
        catch (CborException)
        {
            key = null;
            return CoseError.Malformed;
        }
    }

    private static CoseError DecodeCore(byte[] buffer, int offset, int count, out CoseKey key)
    {
        key = null;
        CborReader reader = new CborReader(buffer, offset, count, CoseLimits.MaxDepth);
        int pairs = reader.ReadStartMap();
        if (pairs > CoseLimits.MaxKeyLabels)
        {
            return CoseError.LimitExceeded;
        }

        int[] seen = new int[CoseLimits.MaxKeyLabels];
        int seenCount = 0;
        int kty = 0;
        int alg = 0;
        byte[] kid = null;
        byte[] baseIv = null;
        int keyOps = 0;
        bool hasKeyOps = false;

        // The meaning of labels -1..-4 depends on kty, which may come later (RFC 9052 §7: a map has no
        // order), so their encoded values are located first and interpreted after the map.
        int[] paramOffset = new int[5];
        int[] paramLength = new int[5];
        while (reader.PeekState() != CborReaderState.EndMap)
        {
            CborReaderState ls = reader.PeekState();
            if (ls != CborReaderState.UnsignedInteger && ls != CborReaderState.NegativeInteger)
            {
                // Text labels are private-use here; skip the pair.
                reader.SkipValue();
                reader.SkipValue();
                continue;
            }

            long label = reader.ReadInt64();
            if (label < -1000000 || label > 1000000)
            {
                reader.SkipValue();
                continue;
            }

            int l = (int)label;
            for (int i = 0; i < seenCount; i++)
            {
                if (seen[i] == l)
                {
                    return CoseError.DuplicateLabel;
                }
            }

            if (seenCount == seen.Length)
            {
                return CoseError.LimitExceeded;
            }

            seen[seenCount++] = l;
            switch (l)
            {
                case CoseKeyLabel.Kty:
                    if (reader.PeekState() != CborReaderState.UnsignedInteger)
                    {
                        return CoseError.UnsupportedKeyType;
                    }

                    kty = reader.ReadInt32();
                    break;
                case CoseKeyLabel.Kid:
                    kid = reader.ReadByteString();
                    if (kid.Length > CoseLimits.MaxKidLength)
                    {
                        return CoseError.LimitExceeded;
                    }

                    break;
                case CoseKeyLabel.Alg:
                    CborReaderState s = reader.PeekState();
                    if (s != CborReaderState.UnsignedInteger && s != CborReaderState.NegativeInteger)
                    {
                        return CoseError.UnsupportedAlgorithm;
                    }

                    alg = reader.ReadInt32();
                    if (alg == 0)
                    {
                        return CoseError.UnsupportedAlgorithm;
                    }

                    break;
                case CoseKeyLabel.KeyOps:
                    hasKeyOps = true;
                    int n = reader.ReadStartArray();
                    if (n > 10)
                    {
                        return CoseError.LimitExceeded;
                    }

                    while (reader.PeekState() != CborReaderState.EndArray)
                    {
                        if (reader.PeekState() != CborReaderState.UnsignedInteger)
                        {
                            return CoseError.InvalidKey;
                        }

                        int op = reader.ReadInt32();
                        if (op < 1 || op > 10)
                        {
                            return CoseError.InvalidKey;
                        }

                        keyOps |= 1 << op;
                    }

                    reader.ReadEndArray();
                    break;
                case CoseKeyLabel.BaseIv:
                    baseIv = reader.ReadByteString();
                    if (baseIv.Length > 16)
                    {
                        return CoseError.LimitExceeded;
                    }

                    break;
                case -1:
                case -2:
                case -3:
                case -4:
                    int o;
                    int len;
                    reader.ReadEncodedValue(out o, out len);
                    paramOffset[-l] = o;
                    paramLength[-l] = len;
                    break;
                default:
                    reader.SkipValue();
                    break;
            }
        }

        reader.ReadEndMap();
        if (reader.PeekState() != CborReaderState.Finished)
        {
            return CoseError.Malformed;
        }

        CoseKey result;
        if (kty == CoseKeyType.Symmetric)
        {
            if (paramLength[2] != 0 || paramLength[3] != 0 || paramLength[4] != 0)
            {
                return CoseError.InvalidKey;
            }

            byte[] k = ReadParamBytes(buffer, paramOffset[1], paramLength[1]);
            if (k == null || k.Length == 0)
            {
                return CoseError.InvalidKey;
            }

            result = new CoseKey(CoseKeyType.Symmetric, 0, alg);
            result.K = k;
        }
        else if (kty == CoseKeyType.Ec2 || kty == CoseKeyType.Okp)
        {
            if (paramLength[1] == 0)
            {
                return CoseError.InvalidKey;
            }

            CborReader crvReader = new CborReader(buffer, paramOffset[1], paramLength[1]);
            if (crvReader.PeekState() != CborReaderState.UnsignedInteger)
            {
                return CoseError.UnsupportedKeyType;
            }

            int crv = crvReader.ReadInt32();
            byte[] x = ReadParamBytes(buffer, paramOffset[2], paramLength[2]);
            byte[] d = ReadParamBytes(buffer, paramOffset[4], paramLength[4]);
            if (x == null || x.Length != 32 || (paramLength[4] != 0 && (d == null || d.Length != 32)))
            {
                return CoseError.InvalidKey;
            }

            if (kty == CoseKeyType.Ec2)
            {
                if (crv != CoseCurve.P256)
                {
                    return CoseError.UnsupportedKeyType;
                }

                // RFC 9053 §7.1.1: y may be a bool (point compression); not supported, refused by name.
                if (paramLength[3] != 0 && new CborReader(buffer, paramOffset[3], paramLength[3]).PeekState() == CborReaderState.Boolean)
                {
                    return CoseError.UnsupportedKeyType;
                }

                byte[] y = ReadParamBytes(buffer, paramOffset[3], paramLength[3]);
                if (y == null || y.Length != 32)
                {
                    return CoseError.InvalidKey;
                }

                result = new CoseKey(CoseKeyType.Ec2, crv, alg);
                result.Y = y;
            }
            else
            {
                if (crv != CoseCurve.Ed25519)
                {
                    return CoseError.UnsupportedKeyType;
                }

                if (paramLength[3] != 0)
                {
                    return CoseError.InvalidKey;
                }

                result = new CoseKey(CoseKeyType.Okp, crv, alg);
            }

            result.X = x;
            result.D = d;
        }
        else
        {
            return CoseError.UnsupportedKeyType;
        }

        result._kid = kid;
        result._baseIv = baseIv;
        result._keyOps = keyOps;
        result._hasKeyOps = hasKeyOps;
        key = result;
        return CoseError.None;
    }

    private static byte[] ReadParamBytes(byte[] buffer, int offset, int length)
    {
        if (length == 0)
        {
            return null;
        }

        CborReader r = new CborReader(buffer, offset, length);
        if (r.PeekState() != CborReaderState.ByteString)
        {
            return null;
        }

        return r.ReadByteString();
    }
}
