using PopIoT.Core.Cbor;
using PopIoT.Core.Cose;

namespace PopIoT.Core.Cwt;

/// <summary>
/// The COSE_Key of methods 1 and 2 (RFC 9052 §7): its labels located in one pass whatever their order, then read by key
/// type (§7.1, §7.2).
/// </summary>
public sealed partial class CwtConfirmation
{
    // A COSE_Key's labels while it is parsed (RFC 9052 §7). Labels -4..4, all that FinishKey reads, have a
    // slot each: it holds the parse's stamp when present, so a new key forgets the last one without clearing,
    // and its value (an int in _slotInt with length IntValue, a bstr slice, or length -1 for anything else).
    // Other labels are only kept to refuse duplicates.
    private const int SlotRange = 4;
    private const int IntValue = -2;
    private const int Absent = -3;
    private readonly int[] _slots = new int[(2 * SlotRange) + 1];
    private readonly long[] _slotInt = new long[(2 * SlotRange) + 1];
    private readonly int[] _slotOffset = new int[(2 * SlotRange) + 1];
    private readonly int[] _slotLength = new int[(2 * SlotRange) + 1];
    private readonly int[] _otherLabels = new int[CwtLimits.MaxKeyLabels];
    private int _otherCount;
    private int _stamp;

    // RFC 9052 §7 COSE_Key: labels in any order, so values are located first and read by kty after.
    private CwtError ParseKey(CborReader r, byte[] buffer)
    {
        if (r.PeekState() != CborReaderState.StartMap)
        {
            return CwtError.InvalidCnf;
        }

        int start = r.Position;
        r.ReadStartMap();
        int n = 0;
        BeginKey();
        while (true)
        {
            // One peek per label: the end of the map, or Finished once the reader keeps an error.
            CborReaderState ks = r.PeekState();
            if (ks == CborReaderState.EndMap || ks == CborReaderState.Finished)
            {
                break;
            }

            if (ks == CborReaderState.TextString)
            {
                r.SkipValue();
                r.SkipValue();
                continue;
            }

            if (ks != CborReaderState.UnsignedInteger && ks != CborReaderState.NegativeInteger)
            {
                return CwtError.InvalidCnf;
            }

            bool negative;
            ulong arg = r.ReadIntegerArgument(out negative);
            if (arg > 1000)
            {
                r.SkipValue();
                continue;
            }

            int label = negative ? -1 - (int)arg : (int)arg;
            if (Seen(label))
            {
                return CwtError.InvalidCnf;
            }

            if (n == CwtLimits.MaxKeyLabels)
            {
                return CwtError.LimitExceeded;
            }

            CborReaderState vs = r.PeekState();
            if (vs == CborReaderState.UnsignedInteger || vs == CborReaderState.NegativeInteger)
            {
                // An integer value counts as one when its argument fits an int.
                ulong va = r.ReadIntegerArgument(out negative);
                Record(label, va > int.MaxValue ? 0 : (negative ? -1 - (long)va : (long)va), 0, va > int.MaxValue ? -1 : IntValue);
            }
            else if (vs == CborReaderState.ByteString)
            {
                int o;
                int l;
                r.ReadByteString(out o, out l);
                Record(label, 0, o, l);
            }
            else
            {
                r.SkipValue();
                Record(label, 0, 0, -1);
            }

            n++;
        }

        r.ReadEndMap();
        return FinishKey(buffer, start, r.Position);
    }

    // RFC 9052 §7.1, §7.2: what each key type needs, from the labels ParseKey located. A slot's length of IntValue
    // means an integer (in _slotInt), -1 anything but an integer or a byte string, else it is a bstr slice.
    private CwtError FinishKey(byte[] buffer, int start, int end)
    {
        int kty = Slot(CoseKeyLabel.Kty);
        int kid = Slot(CoseKeyLabel.Kid);
        int alg = Slot(CoseKeyLabel.Alg);
        int m1 = Slot(-1);
        int x = Slot(-2);
        int y = Slot(-3);
        int ktyLength = kty < 0 ? Absent : _slotLength[kty];
        int kidLength = kid < 0 ? Absent : _slotLength[kid];
        int m1Length = m1 < 0 ? Absent : _slotLength[m1];
        int xLength = x < 0 ? Absent : _slotLength[x];
        int yLength = y < 0 ? Absent : _slotLength[y];
        if (ktyLength != IntValue)
        {
            return CwtError.InvalidCnf;
        }

        KeyType = (int)_slotInt[kty];
        if (kidLength != Absent)
        {
            if (kidLength < 0)
            {
                return CwtError.InvalidCnf;
            }

            KidOffset = _slotOffset[kid];
            KidLength = kidLength;
        }

        KeyAlgorithm = alg >= 0 && _slotLength[alg] == IntValue ? (int)_slotInt[alg] : 0;
        if (KeyType == CoseKeyType.Symmetric)
        {
            // k (label -1).
            if (m1Length <= 0)
            {
                return CwtError.InvalidCnf;
            }

            SymmetricKeyOffset = _slotOffset[m1];
            SymmetricKeyLength = m1Length;
        }
        else if (KeyType == CoseKeyType.Ec2 || KeyType == CoseKeyType.Okp)
        {
            // crv (label -1), x (-2), y (-3; EC2 only).
            if (m1Length != IntValue || xLength <= 0 || (KeyType == CoseKeyType.Ec2 && yLength == Absent))
            {
                return CwtError.InvalidCnf;
            }

            if (Slot(-4) >= 0)
            {
                // A PoP key in a token is the presenter's public key; its private part never travels.
                return CwtError.InvalidCnf;
            }

            Curve = (int)_slotInt[m1];
            XOffset = _slotOffset[x];
            XLength = xLength;
            if (yLength > 0)
            {
                YOffset = _slotOffset[y];
                YLength = yLength;
            }
        }
        else
        {
            return CwtError.UnsupportedCnf;
        }

        Buffer = buffer;
        KeyOffset = start;
        KeyLength = end - start;
        return CwtError.None;
    }

    // Starts a COSE_Key: a new stamp forgets the last key's slots; the array is cleared only when it wraps.
    private void BeginKey()
    {
        _otherCount = 0;
        _stamp++;
        if (_stamp == int.MaxValue)
        {
            _stamp = 1;
            for (int i = 0; i < _slots.Length; i++)
            {
                _slots[i] = 0;
            }
        }
    }

    // The slot of a label of this key, or -1 when it is absent (or outside -4..4).
    private int Slot(int label)
    {
        int i = label + SlotRange;
        return label >= -SlotRange && label <= SlotRange && _slots[i] == _stamp ? i : -1;
    }

    private bool Seen(int label)
    {
        if (label >= -SlotRange && label <= SlotRange)
        {
            return _slots[label + SlotRange] == _stamp;
        }

        for (int i = 0; i < _otherCount; i++)
        {
            if (_otherLabels[i] == label)
            {
                return true;
            }
        }

        return false;
    }

    // Records a label and its value: an int (length IntValue), a bstr slice, or length -1 for anything else.
    private void Record(int label, long intValue, int offset, int length)
    {
        if (label >= -SlotRange && label <= SlotRange)
        {
            int i = label + SlotRange;
            _slots[i] = _stamp;
            _slotInt[i] = intValue;
            _slotOffset[i] = offset;
            _slotLength[i] = length;
        }
        else
        {
            _otherLabels[_otherCount++] = label;
        }
    }
}
