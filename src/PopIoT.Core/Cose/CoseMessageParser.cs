using PopIoT.Core.Cbor;

namespace PopIoT.Core.Cose;

/// <summary>
/// Parses the shape common to COSE_Mac0, COSE_Sign1 (RFC 9052 §6.2, §4.2: four items) and
/// COSE_Encrypt0 (§5.2: three items) and checks both header buckets (§3). It records slices of the
/// caller's buffer only and allocates nothing per message. Its readers keep a sticky error (they never throw for
/// bad data), checked once when the message has been read.
/// </summary>
internal sealed partial class CoseMessageParser
{
    private readonly CborReader _reader;
    private readonly CborReader _protectedReader;

    internal CoseMessageParser()
    {
        byte[] empty = new byte[0];
        _reader = new CborReader(empty, 0, 0, CoseLimits.MaxDepth);
        _reader.ThrowOnError = false;
        _protectedReader = new CborReader(empty, 0, 0, CoseLimits.MaxDepth);
        _protectedReader.ThrowOnError = false;
    }

    internal byte[] Buffer;
    internal int ProtectedOffset;
    internal int ProtectedLength;
    internal int Alg;
    internal bool HasAlg;
    internal bool AlgUnsupportedValue;
    internal int KidOffset;
    internal int KidLength;
    internal int IvOffset;
    internal int IvLength;
    internal int PartialIvOffset;
    internal int PartialIvLength;
    internal int ContentFormat;
    internal int PayloadOffset;
    internal int PayloadLength;
    internal bool ContentNil;
    internal int LastOffset;
    internal int LastLength;
    internal int ErrorOffset;

    /// <summary>Parses one message. <paramref name="itemCount"/> is 4 (Mac0, Sign1) or 3 (Encrypt0, whose ciphertext lands in Last*).</summary>
    internal CoseError Parse(byte[] buffer, int offset, int count, int messageTag, int itemCount, bool requireTag, int[] understoodLabels)
    {
        Clear(buffer);
        CoseError e = ParseStructure(buffer, offset, count, messageTag, itemCount, requireTag);
        // Malformed CBOR anywhere in the message (either reader's sticky error) outranks what was read before it:
        // a result, never an exception to the caller (DESIGN.md §2 "Errors").
        // The protected bucket lies before every later item, so its error is the first one when both readers have one.
        CborReader bad = _protectedReader.Error != CborError.None ? _protectedReader : _reader.Error != CborError.None ? _reader : null;
        if (bad != null)
        {
            return Fail(CoseError.Malformed, bad.ErrorOffset);
        }

        return e != CoseError.None ? e : CheckCrit(understoodLabels);
    }

    private void Clear(byte[] buffer)
    {
        Buffer = buffer;
        ProtectedOffset = 0;
        ProtectedLength = 0;
        Alg = 0;
        HasAlg = false;
        AlgUnsupportedValue = false;
        KidOffset = -1;
        KidLength = 0;
        IvOffset = -1;
        IvLength = 0;
        PartialIvOffset = -1;
        PartialIvLength = 0;
        ContentFormat = -1;
        PayloadOffset = 0;
        PayloadLength = 0;
        ContentNil = false;
        LastOffset = 0;
        LastLength = 0;
        ErrorOffset = -1;
        _labelCount = 0;
        _critCount = 0;
        _critAt = -1;
    }

    /// <summary>
    /// Parses one message for the key that will verify or open it (RFC 9052 §3.1, §4–§6): the frame and its critical
    /// labels, the message's alg against the one the key pins, and an attached payload (detached content is not
    /// supported). On an error <see cref="ErrorOffset"/> says where.
    /// </summary>
    internal CoseError ParseFor(CoseAlgorithm pinned, byte[] buffer, int offset, int count, int messageTag, bool requireTag, int[] understoodLabels)
    {
        bool encrypt0 = messageTag == CoseTag.Encrypt0;
        CoseError e = Parse(buffer, offset, count, messageTag, encrypt0 ? 3 : 4, requireTag, understoodLabels);
        if (e == CoseError.None)
        {
            e = CheckAlgorithm(pinned);
        }

        if (e == CoseError.None && ContentNil)
        {
            return Fail(CoseError.DetachedContentNotSupported, encrypt0 ? LastOffset : PayloadOffset);
        }

        return e;
    }

    /// <summary>The message's alg against the algorithm the key pins (RFC 9052 §3.1; DESIGN.md §2: the message alone never chooses).</summary>
    internal CoseError CheckAlgorithm(CoseAlgorithm pinned)
    {
        if (AlgUnsupportedValue)
        {
            return CoseError.UnsupportedAlgorithm;
        }

        if (Alg == pinned.Id)
        {
            return CoseError.None;
        }

        return CoseAlgorithm.FromId(Alg) == null ? CoseError.UnsupportedAlgorithm : CoseError.AlgorithmMismatch;
    }

    private CoseError Fail(CoseError error, int at)
    {
        ErrorOffset = at;
        return error;
    }

    private CoseError ParseStructure(byte[] buffer, int offset, int count, int messageTag, int itemCount, bool requireTag)
    {
        CborReader r = _reader;
        r.Reset(buffer, offset, count);
        _protectedReader.Reset(buffer, offset, 0);
        int at = r.Position;
        bool tagged = false;

        // RFC 9052 §2: the tag is optional; when present it must name this structure, and only once.
        if (r.PeekState() == CborReaderState.Tag)
        {
            ulong tag = r.ReadTag();
            if (tag != (ulong)messageTag || r.PeekState() == CborReaderState.Tag)
            {
                return Fail(CoseError.WrongTag, at);
            }

            tagged = true;
        }

        if (requireTag && !tagged)
        {
            return Fail(CoseError.MissingTag, at);
        }

        // A wrong type below is the reader's sticky error, reported as Malformed at the item by Parse.
        at = r.Position;
        int n = r.ReadStartArray();
        if (n != itemCount && n != -1)
        {
            return Fail(CoseError.Malformed, at);
        }

        // RFC 9052 §3: protected is a bstr wrapping a map, or a zero-length bstr for no parameters.
        at = r.Position;
        r.ReadByteString(out ProtectedOffset, out ProtectedLength);
        if (ProtectedLength > CoseLimits.MaxProtectedHeaderLength)
        {
            return Fail(CoseError.LimitExceeded, at);
        }

        CoseError e;
        if (ProtectedLength > 0)
        {
            CborReader p = _protectedReader;
            p.Reset(buffer, ProtectedOffset, ProtectedLength);
            p.ReadStartMap();
            e = ParseMap(p, true);
            if (e != CoseError.None)
            {
                return e;
            }

            p.ReadEndMap();
            if (p.PeekState() != CborReaderState.Finished)
            {
                return Fail(CoseError.Malformed, p.Position);
            }
        }

        r.ReadStartMap();
        e = ParseMap(r, false);
        if (e != CoseError.None)
        {
            return e;
        }

        r.ReadEndMap();

        // The content slot: payload (Mac0, Sign1) or ciphertext (Encrypt0); nil means detached (RFC 9052 §4.1).
        at = r.Position;
        CborReaderState s = r.PeekState();
        int contentOffset;
        int contentLength;
        if (s == CborReaderState.Null)
        {
            r.ReadNull();
            ContentNil = true;
            contentOffset = at;
            contentLength = 0;
        }
        else if (s == CborReaderState.ByteString)
        {
            r.ReadByteString(out contentOffset, out contentLength);
        }
        else
        {
            return Fail(CoseError.Malformed, at);
        }

        if (itemCount == 4)
        {
            PayloadOffset = contentOffset;
            PayloadLength = contentLength;
            r.ReadByteString(out LastOffset, out LastLength);
        }
        else
        {
            LastOffset = contentOffset;
            LastLength = contentLength;
        }

        r.ReadEndArray();
        if (r.PeekState() != CborReaderState.Finished)
        {
            return Fail(CoseError.Malformed, r.Position);
        }

        // RFC 9052 §3.1: "The 'Initialization Vector' and 'Partial Initialization Vector' header
        // parameters MUST NOT both be present in the same security layer."
        if (IvOffset >= 0 && PartialIvOffset >= 0)
        {
            return Fail(CoseError.IvAndPartialIv, PartialIvOffset);
        }

        if (!HasAlg && !AlgUnsupportedValue)
        {
            return Fail(CoseError.MissingAlgorithm, offset);
        }

        return CoseError.None;
    }
}
