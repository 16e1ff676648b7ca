using System;
using PopIoT.Core.Cbor;
using PopIoT.Core.Crypto;

namespace PopIoT.Core.Cose;

/// <summary>
/// COSE_Mac0 (RFC 9052 §6.2) with HMAC 256/64 or HMAC 256/256 (RFC 9053 §3.1), bound to one key.
/// The algorithm is pinned by the key: a message verifies only if its protected alg equals it.
/// Verify allocates nothing after construction: the MAC is fed the MAC_structure (§6.3) piece by
/// piece straight from the message. Bad input gives a <see cref="CoseError"/>, never an exception.
/// A key that cannot be used (wrong type, no alg, unsupported) does not throw either: every
/// verify then reports why. Not thread-safe; dispose to erase the key.
/// </summary>
public sealed class CoseMac0 : IDisposable
{
    private const int StageSize = 256;

    private readonly CoseMessageParser _parser = new CoseMessageParser();
    private readonly byte[] _head = new byte[9];

    // MAC_structure pieces are gathered here so the MAC sees few, larger updates: a platform MAC pays
    // a fixed cost per call. Pieces that do not fit go to the MAC directly; nothing is allocated.
    private readonly byte[] _stage = new byte[StageSize];
    private int _staged;
    private bool _macDirty;
    private readonly CoseAlgorithm _alg;
    private readonly CoseError _verifyError;
    private readonly CoseError _createError;
    private readonly IMac _mac;
    private readonly byte[] _macOut;
    private readonly byte[] _protected;
    private readonly byte[] _kid;
    private int[] _understood;
    private bool _disposed;

    /// <summary>Binds to a key that names its algorithm (COSE_Key alg).</summary>
    /// <param name="provider">The crypto provider.</param>
    /// <param name="key">A symmetric key pinned to HMAC 256/64 or 256/256.</param>
    /// <exception cref="ArgumentException">An argument is null.</exception>
    public CoseMac0(ICryptoProvider provider, CoseKey key)
        : this(provider, key, 0)
    {
    }

    /// <summary>Binds to a key with an explicit allowed algorithm, for keys that carry no alg.</summary>
    /// <param name="provider">The crypto provider.</param>
    /// <param name="key">A symmetric key.</param>
    /// <param name="allowedAlgorithm">The one alg messages may use; if the key has an alg too, they must be equal.</param>
    /// <exception cref="ArgumentException">An argument is null.</exception>
    public CoseMac0(ICryptoProvider provider, CoseKey key, int allowedAlgorithm)
    {
        if (provider == null)
        {
            throw new ArgumentException("provider must not be null.");
        }

        CoseError e = CoseKeyCheck.Resolve(key, allowedAlgorithm, CoseAlgorithmKind.Mac, out _alg);
        _verifyError = e;
        _createError = e;
        if (e != CoseError.None)
        {
            return;
        }

        // RFC 9052 §7.1 key_ops: 9 MAC create, 10 MAC verify.
        if (!key.Permits(CoseKeyOperation.MacVerify))
        {
            _verifyError = CoseError.KeyOperationNotPermitted;
        }

        if (!key.Permits(CoseKeyOperation.MacCreate))
        {
            _createError = CoseError.KeyOperationNotPermitted;
        }

        _mac = provider.CreateHmacSha256(key.K, 0, key.K.Length);
        _macOut = new byte[_mac.MacSize];
        _protected = CoseStructure.ProtectedAlg(_alg.Id);
        _kid = key.KidBytes == null ? null : key.GetKid();
    }

    /// <summary>The pinned algorithm, or null when the key could not be used (see <see cref="KeyError"/>).</summary>
    public CoseAlgorithm Algorithm
    {
        get { return _alg; }
    }

    /// <summary>Why the key cannot verify, or <see cref="CoseError.None"/>.</summary>
    public CoseError KeyError
    {
        get { return _verifyError; }
    }

    /// <summary>When true, an untagged message is refused with <see cref="CoseError.MissingTag"/>. Default false (RFC 9052 §2: the tag is optional).</summary>
    public bool RequireTag { get; set; }

    /// <summary>
    /// Extra integer header labels the application processes, so a crit listing them is accepted
    /// (RFC 9052 §3.1). Labels 1..6 are always understood. The array is copied.
    /// </summary>
    /// <param name="labels">The labels, or null for none.</param>
    public void SetUnderstoodCriticalLabels(int[] labels)
    {
        _understood = CopyLabels(labels);
    }

    /// <summary>Verifies a whole-array message without external_aad, into a new result (convenience; allocates).</summary>
    /// <param name="message">The COSE_Mac0, tagged (17) or untagged.</param>
    /// <returns>The result.</returns>
    public CoseResult Verify(byte[] message)
    {
        CoseResult result = new CoseResult();
        Verify(message, 0, message == null ? 0 : message.Length, null, 0, 0, result);
        return result;
    }

    /// <summary>
    /// Verifies a COSE_Mac0. On success the result's payload is a slice of <paramref name="message"/>.
    /// </summary>
    /// <param name="message">The array holding the message.</param>
    /// <param name="offset">Where it starts.</param>
    /// <param name="count">Its length: exactly one message, nothing after it.</param>
    /// <param name="externalAad">external_aad (RFC 9052 §4.3); may be null when its length is 0.</param>
    /// <param name="aadOffset">Where it starts.</param>
    /// <param name="aadLength">Its length.</param>
    /// <param name="result">Receives the outcome (reused between calls).</param>
    /// <returns>The same reason as <see cref="CoseResult.Error"/>.</returns>
    /// <exception cref="ArgumentException">A null argument or a range that does not fit.</exception>
    /// <exception cref="ObjectDisposedException">This object was disposed.</exception>
    public CoseError Verify(byte[] message, int offset, int count, byte[] externalAad, int aadOffset, int aadLength, CoseResult result)
    {
        if (message == null || result == null)
        {
            throw new ArgumentException("message and result must not be null.");
        }

        CoseStructure.CheckRange(message, offset, count, "message");
        CoseStructure.CheckRange(externalAad, aadOffset, aadLength, "externalAad");
        if (_disposed)
        {
            throw new ObjectDisposedException("CoseMac0");
        }

        if (_verifyError != CoseError.None)
        {
            return result.Fail(_verifyError, -1);
        }

        CoseMessageParser p = _parser;
        CoseError e = p.ParseFor(_alg, message, offset, count, CoseTag.Mac0, RequireTag, _understood);
        if (e != CoseError.None)
        {
            return result.Fail(e, p.ErrorOffset);
        }

        // RFC 9053 §3.1: the tag is the leading TagSize bytes of the HMAC output, nothing else.
        if (p.LastLength != _alg.TagSize)
        {
            return result.Fail(CoseError.TagLengthInvalid, p.LastOffset);
        }

        ByteRange payload = new ByteRange(message, p.PayloadOffset, p.PayloadLength);
        ComputeTag(new ByteRange(message, p.ProtectedOffset, p.ProtectedLength), new ByteRange(externalAad, aadOffset, aadLength), payload);
        if (!CryptoBytes.FixedTimeEquals(_macOut, 0, message, p.LastOffset, _alg.TagSize))
        {
            return result.Fail(CoseError.TagMismatch, p.LastOffset);
        }

        return result.Succeed(_alg.Id, payload, p);
    }

    /// <summary>
    /// Creates a COSE_Mac0 with protected {1: alg} and, if asked, unprotected {4: key's kid}.
    /// </summary>
    /// <param name="payload">The payload (its buffer may be null when empty).</param>
    /// <param name="externalAad">external_aad (empty for none).</param>
    /// <param name="includeKid">Put the key's kid in the unprotected bucket (the key must have one).</param>
    /// <param name="tagged">Prefix the COSE_Mac0 tag 17.</param>
    /// <param name="destination">Where the message may be written.</param>
    /// <returns>The message length.</returns>
    /// <exception cref="ArgumentException">A null argument, a bad range, a destination too small, or a key that cannot create (the message names the <see cref="CoseError"/>).</exception>
    public int Create(ByteRange payload, ByteRange externalAad, bool includeKid, bool tagged, ByteRange destination)
    {
        if (destination.Buffer == null)
        {
            throw new ArgumentException("destination must not be null.");
        }

        if (_disposed)
        {
            throw new ObjectDisposedException("CoseMac0");
        }

        if (_createError != CoseError.None)
        {
            throw new ArgumentException("This key cannot create COSE_Mac0: " + _createError.ToString() + ".");
        }

        if (includeKid && _kid == null)
        {
            throw new ArgumentException("includeKid was set but the key has no kid.");
        }

        try
        {
            CborWriter w = new CborWriter(destination.Buffer, destination.Offset, destination.Count);
            if (tagged)
            {
                w.WriteTag(CoseTag.Mac0);
            }

            w.WriteStartArray(4);
            w.WriteByteString(_protected);
            w.WriteStartMap(includeKid ? 1 : 0);
            if (includeKid)
            {
                w.WriteInt32(CoseHeaderLabel.Kid);
                w.WriteByteString(_kid);
            }

            w.WriteByteString(payload.Buffer == null ? _head : payload.Buffer, payload.Offset, payload.Count);
            ComputeTag(ByteRange.Of(_protected), externalAad, payload);
            w.WriteByteString(_macOut, 0, _alg.TagSize);
            return w.BytesWritten;
        }
        catch (CborException)
        {
            throw new ArgumentException("destination is too small for the COSE_Mac0.");
        }
    }

    /// <summary>Erases the key inside the MAC.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (_mac != null)
            {
                _mac.Dispose();
            }

            if (_macOut != null)
            {
                Array.Clear(_macOut, 0, _macOut.Length);
            }
        }
    }

    internal static int[] CopyLabels(int[] labels)
    {
        if (labels == null)
        {
            return null;
        }

        int[] copy = new int[labels.Length];
        Array.Copy(labels, 0, copy, 0, labels.Length);
        return copy;
    }

    // RFC 9052 §6.3: MAC over [ "MAC0", protected, external_aad, payload ], fed as heads and slices.
    private void ComputeTag(ByteRange prot, ByteRange aad, ByteRange payload)
    {
        if (_macDirty)
        {
            // Only after an exception between Update and Final; Final itself leaves the MAC reset.
            _mac.Reset();
        }

        _macDirty = true;
        if (CoseStructure.Size(CoseStructure.Mac0Context, prot.Count, aad.Count, payload.Count, true) <= StageSize)
        {
            // The usual token: the whole MAC_structure laid out in the stage, one update.
            byte[] st = _stage;
            int at = Put(CoseStructure.Mac0Context, 0, CoseStructure.Mac0Context.Length, 0);
            at += CoseStructure.WriteBstrHead(st, at, prot.Count);
            at = Put(prot.Buffer, prot.Offset, prot.Count, at);
            at += CoseStructure.WriteBstrHead(st, at, aad.Count);
            at = Put(aad.Buffer, aad.Offset, aad.Count, at);
            at += CoseStructure.WriteBstrHead(st, at, payload.Count);
            at = Put(payload.Buffer, payload.Offset, payload.Count, at);
            _mac.Update(st, 0, at);
        }
        else
        {
            _staged = 0;
            Stage(CoseStructure.Mac0Context, 0, CoseStructure.Mac0Context.Length);
            StageBstr(prot);
            StageBstr(aad);
            StageBstr(payload);
            Flush();
        }

        _mac.Final(_macOut, 0);
        _macDirty = false;
    }

    // Copies into the stage at `at` (which the caller has sized) and returns the new end.
    private int Put(byte[] data, int offset, int length, int at)
    {
        // A loop for the few bytes of the context and headers: Array.Copy's fixed cost is larger there.
        if (length <= 16)
        {
            for (int i = 0; i < length; i++)
            {
                _stage[at + i] = data[offset + i];
            }
        }
        else
        {
            Array.Copy(data, offset, _stage, at, length);
        }

        return at + length;
    }

    private void StageBstr(ByteRange data)
    {
        if (StageSize - _staged >= _head.Length)
        {
            _staged += CoseStructure.WriteBstrHead(_stage, _staged, data.Count);
        }
        else
        {
            int h = CoseStructure.WriteBstrHead(_head, 0, data.Count);
            Stage(_head, 0, h);
        }

        Stage(data.Buffer, data.Offset, data.Count);
    }

    private void Stage(byte[] data, int offset, int length)
    {
        if (length == 0)
        {
            return;
        }

        if (length <= StageSize - _staged)
        {
            _staged = Put(data, offset, length, _staged);
            return;
        }

        Flush();
        if (length <= StageSize)
        {
            Array.Copy(data, offset, _stage, 0, length);
            _staged = length;
        }
        else
        {
            _mac.Update(data, offset, length);
        }
    }

    private void Flush()
    {
        if (_staged > 0)
        {
            _mac.Update(_stage, 0, _staged);
            _staged = 0;
        }
    }
}
