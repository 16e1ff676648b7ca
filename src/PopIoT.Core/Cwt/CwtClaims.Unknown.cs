using PopIoT.Core.Cbor;

namespace PopIoT.Core.Cwt;

/// <summary>
/// Claims with keys other than the known ones, kept as encoded key and value slices (RFC 8392 §7.2 step 9) and found
/// again by key.
/// </summary>
public sealed partial class CwtClaims
{
    private CwtError AddUnknown(byte[] buffer, int keyAt, long intKey, int textOffset, int textLength, CborReader r)
    {
        if (FindUnknown(buffer, intKey, textOffset, textLength) >= 0)
        {
            ErrorClaim = textLength < 0 ? intKey : 0;
            return CwtError.DuplicateClaim;
        }

        int vo;
        int vl;
        r.ReadEncodedValue(out vo, out vl);
        RecordUnknown(intKey, textOffset, textLength, keyAt, vo, vl);
        return CwtError.None;
    }

    // An unknown claim with this integer key (textLength -1) or text key (a slice of buffer), or -1.
    private int FindUnknown(byte[] buffer, long intKey, int textOffset, int textLength)
    {
        for (int i = 0; i < UnknownCount; i++)
        {
            bool same = textLength < 0
                ? _unknownTextLength[i] < 0 && _unknownInt[i] == intKey
                : _unknownTextLength[i] == textLength && SliceEquals(buffer, _unknownTextOffset[i], buffer, textOffset, textLength);
            if (same)
            {
                return i;
            }
        }

        return -1;
    }

    private void RecordUnknown(long intKey, int textOffset, int textLength, int keyAt, int valueOffset, int valueLength)
    {
        int k = UnknownCount;
        _unknownInt[k] = intKey;
        _unknownTextOffset[k] = textOffset;
        _unknownTextLength[k] = textLength;
        _unknownKeyOffset[k] = keyAt;
        _unknownValueOffset[k] = valueOffset;
        _unknownValueLength[k] = valueLength;
        UnknownCount = k + 1;
    }

    private int FindUnknownInt(long key)
    {
        for (int i = 0; i < UnknownCount; i++)
        {
            if (_unknownTextLength[i] < 0 && _unknownInt[i] == key)
            {
                return i;
            }
        }

        return -1;
    }
}
