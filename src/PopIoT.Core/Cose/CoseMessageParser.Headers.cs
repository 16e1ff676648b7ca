using PopIoT.Core.Cbor;

namespace PopIoT.Core.Cose;

/// <summary>
/// The two header buckets (RFC 9052 §3): each label read and checked for its type, labels unique across both buckets,
/// and crit (§3.1) against the labels the caller understands.
/// </summary>
internal sealed partial class CoseMessageParser
{
    // Labels seen in this message, both buckets (RFC 9052 §3: unique across both). Text labels are
    // slices of the buffer (offset, length); integer labels have length -1.
    private readonly int[] _labelInt = new int[CoseLimits.MaxHeaderLabels];
    private readonly int[] _labelTextOffset = new int[CoseLimits.MaxHeaderLabels];
    private readonly int[] _labelTextLength = new int[CoseLimits.MaxHeaderLabels];
    private readonly bool[] _labelProtected = new bool[CoseLimits.MaxHeaderLabels];
    private int _labelCount;

    private readonly int[] _critInt = new int[CoseLimits.MaxCriticalLabels];
    private readonly int[] _critTextOffset = new int[CoseLimits.MaxCriticalLabels];
    private readonly int[] _critTextLength = new int[CoseLimits.MaxCriticalLabels];
    private int _critCount;
    private int _critAt;

    private CoseError ParseMap(CborReader r, bool isProtected)
    {
        while (true)
        {
            // One peek per label: the end of the map, or Finished once the reader keeps an error.
            CborReaderState ls = r.PeekState();
            if (ls == CborReaderState.EndMap || ls == CborReaderState.Finished)
            {
                return CoseError.None;
            }

            int at = r.Position;
            if (_labelCount == CoseLimits.MaxHeaderLabels)
            {
                return Fail(CoseError.LimitExceeded, at);
            }

            // RFC 9052 §3: label = int / tstr.
            int label = 0;
            int textOffset = 0;
            int textLength = -1;
            if (ls == CborReaderState.UnsignedInteger || ls == CborReaderState.NegativeInteger)
            {
                long v = r.ReadInt64();
                if (v < int.MinValue || v > int.MaxValue)
                {
                    return Fail(CoseError.InvalidHeaderValue, at);
                }

                label = (int)v;
            }
            else if (ls == CborReaderState.TextString)
            {
                r.ReadTextString(out textOffset, out textLength);
            }
            else
            {
                return Fail(CoseError.InvalidHeaderValue, at);
            }

            if (FindLabel(label, textOffset, textLength, false) >= 0)
            {
                return Fail(CoseError.DuplicateLabel, at);
            }

            _labelInt[_labelCount] = label;
            _labelTextOffset[_labelCount] = textOffset;
            _labelTextLength[_labelCount] = textLength;
            _labelProtected[_labelCount] = isProtected;
            _labelCount++;

            if (textLength >= 0)
            {
                r.SkipValue();
                continue;
            }

            int valueAt = r.Position;
            CborReaderState vs = r.PeekState();
            switch (label)
            {
                case CoseHeaderLabel.Alg:
                    // RFC 9052 §3.1 puts alg in either bucket; PopIoT takes it from the protected one only
                    // (DESIGN.md §2, algorithm rollback).
                    if (!isProtected)
                    {
                        return Fail(CoseError.AlgInUnprotectedHeader, at);
                    }

                    if (vs == CborReaderState.UnsignedInteger || vs == CborReaderState.NegativeInteger)
                    {
                        // A huge alg is an unsupported algorithm, not malformed CBOR.
                        bool negative;
                        ulong arg = r.ReadIntegerArgument(out negative);
                        if (arg > int.MaxValue)
                        {
                            AlgUnsupportedValue = true;
                        }
                        else
                        {
                            Alg = negative ? -1 - (int)arg : (int)arg;
                            HasAlg = true;
                        }
                    }
                    else if (vs == CborReaderState.TextString)
                    {
                        // Text algorithm names are private use; none is implemented.
                        r.SkipValue();
                        AlgUnsupportedValue = true;
                    }
                    else
                    {
                        return Fail(CoseError.InvalidHeaderValue, valueAt);
                    }

                    break;
                case CoseHeaderLabel.Crit:
                    if (!isProtected)
                    {
                        return Fail(CoseError.CritNotProtected, at);
                    }

                    CoseError ce = ReadCrit(r);
                    if (ce != CoseError.None)
                    {
                        return ce;
                    }

                    break;
                case CoseHeaderLabel.ContentType:
                    if (vs == CborReaderState.UnsignedInteger)
                    {
                        ulong cf = r.ReadUInt64();
                        // CoAP Content-Formats are 16-bit (RFC 7252 §12.3).
                        if (cf > 65535)
                        {
                            return Fail(CoseError.InvalidHeaderValue, valueAt);
                        }

                        ContentFormat = (int)cf;
                    }
                    else if (vs == CborReaderState.TextString)
                    {
                        int o;
                        int l;
                        r.ReadTextString(out o, out l);
                    }
                    else
                    {
                        return Fail(CoseError.InvalidHeaderValue, valueAt);
                    }

                    break;
                case CoseHeaderLabel.Kid:
                    if (vs != CborReaderState.ByteString)
                    {
                        return Fail(CoseError.InvalidHeaderValue, valueAt);
                    }

                    r.ReadByteString(out KidOffset, out KidLength);
                    if (KidLength > CoseLimits.MaxKidLength)
                    {
                        return Fail(CoseError.LimitExceeded, valueAt);
                    }

                    break;
                case CoseHeaderLabel.Iv:
                    if (vs != CborReaderState.ByteString)
                    {
                        return Fail(CoseError.InvalidHeaderValue, valueAt);
                    }

                    r.ReadByteString(out IvOffset, out IvLength);
                    break;
                case CoseHeaderLabel.PartialIv:
                    if (vs != CborReaderState.ByteString)
                    {
                        return Fail(CoseError.InvalidHeaderValue, valueAt);
                    }

                    r.ReadByteString(out PartialIvOffset, out PartialIvLength);
                    break;
                default:
                    r.SkipValue();
                    break;
            }
        }
    }

    private CoseError ReadCrit(CborReader r)
    {
        int at = r.Position;
        _critAt = at;
        if (r.PeekState() != CborReaderState.StartArray)
        {
            return Fail(CoseError.InvalidCrit, at);
        }

        r.ReadStartArray();
        while (r.HasNext())
        {
            int itemAt = r.Position;
            if (_critCount == CoseLimits.MaxCriticalLabels)
            {
                return Fail(CoseError.LimitExceeded, itemAt);
            }

            CborReaderState s = r.PeekState();
            if (s == CborReaderState.UnsignedInteger || s == CborReaderState.NegativeInteger)
            {
                long v = r.ReadInt64();
                if (v < int.MinValue || v > int.MaxValue)
                {
                    return Fail(CoseError.UnknownCriticalHeader, itemAt);
                }

                _critInt[_critCount] = (int)v;
                _critTextLength[_critCount] = -1;
            }
            else if (s == CborReaderState.TextString)
            {
                r.ReadTextString(out _critTextOffset[_critCount], out _critTextLength[_critCount]);
            }
            else
            {
                return Fail(CoseError.InvalidCrit, itemAt);
            }

            _critCount++;
        }

        r.ReadEndArray();

        // RFC 9052 §3.1: "The array MUST have at least one value in it."
        if (_critCount == 0)
        {
            return Fail(CoseError.InvalidCrit, at);
        }

        return CoseError.None;
    }

    private CoseError CheckCrit(int[] understoodLabels)
    {
        for (int i = 0; i < _critCount; i++)
        {
            int label = _critInt[i];
            int textOffset = _critTextOffset[i];
            int textLength = _critTextLength[i];

            // RFC 9052 §3.1: a crit label whose parameter is not in the protected bucket is a fatal error.
            if (FindLabel(label, textOffset, textLength, true) < 0)
            {
                return Fail(CoseError.InvalidCrit, _critAt);
            }

            // The labels this library processes itself (RFC 9052 §3.1: 1..6), plus the caller's.
            bool understood = false;
            if (textLength < 0)
            {
                understood = label >= CoseHeaderLabel.Alg && label <= CoseHeaderLabel.PartialIv;
                if (!understood && understoodLabels != null)
                {
                    for (int j = 0; j < understoodLabels.Length; j++)
                    {
                        if (understoodLabels[j] == label)
                        {
                            understood = true;
                            break;
                        }
                    }
                }
            }

            if (!understood)
            {
                return Fail(CoseError.UnknownCriticalHeader, _critAt);
            }
        }

        return CoseError.None;
    }

    private int FindLabel(int label, int textOffset, int textLength, bool protectedOnly)
    {
        for (int i = 0; i < _labelCount; i++)
        {
            if (protectedOnly && !_labelProtected[i])
            {
                continue;
            }

            if (textLength < 0)
            {
                if (_labelTextLength[i] < 0 && _labelInt[i] == label)
                {
                    return i;
                }
            }
            else if (_labelTextLength[i] == textLength && SameBytes(_labelTextOffset[i], textOffset, textLength))
            {
                return i;
            }
        }

        return -1;
    }

    private bool SameBytes(int a, int b, int length)
    {
        for (int i = 0; i < length; i++)
        {
            if (Buffer[a + i] != Buffer[b + i])
            {
                return false;
            }
        }

        return true;
    }
}
