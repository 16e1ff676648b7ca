using System;
using PopIoT.Core.Cbor;
using PopIoT.Core.Crypto;

namespace PopIoT.Core.Cose;

/// <summary>
/// COSE_Encrypt0 (RFC 9052 §5.2) with AES-CCM-16-64-128, AES-CCM-16-128-128, AES-CCM-64-64-128,
/// AES-CCM-64-128-128 (RFC 9053 §4.2, managed in Core) and A128GCM, A256GCM (§4.1, through an
/// <see cref="IAesGcmProvider"/>), bound to one key whose alg pins the algorithm. The nonce is the IV
/// header, or a Partial IV combined with the context IV (RFC 9052 §3.1; <see cref="SetContextIv"/>
/// or the key's Base IV). A failed tag releases no plaintext. Bad input gives a
/// <see cref="CoseError"/>, never an exception. Not thread-safe; dispose to erase the key.
/// </summary>
public sealed class CoseEncrypt0 : IDisposable
{
    private readonly CoseMessageParser _parser = new CoseMessageParser();
    private readonly CoseAlgorithm _alg;
    private readonly CoseError _decryptError;
    private readonly CoseError _createError;
    private readonly IAeadCipher _aead;
    private readonly IRandomSource _random;
    private readonly byte[] _nonce;
    private readonly byte[] _protected;
    private readonly byte[] _kid;
    private byte[] _contextIv;
    private byte[] _aad;
    private int[] _understood;
    private bool _disposed;

    /// <summary>Binds to a key that names its algorithm.</summary>
    /// <param name="provider">The crypto provider (AES-GCM needs <see cref="IAesGcmProvider"/>).</param>
    /// <param name="key">A symmetric key pinned to one of the six AEAD algorithms.</param>
    /// <exception cref="ArgumentException">An argument is null.</exception>
    public CoseEncrypt0(ICryptoProvider provider, CoseKey key)
        : this(provider, key, 0)
    {
    }

    /// <summary>Binds to a key with an explicit allowed algorithm, for keys that carry no alg.</summary>
    /// <param name="provider">The crypto provider.</param>
    /// <param name="key">A symmetric key.</param>
    /// <param name="allowedAlgorithm">The one alg messages may use; if the key has an alg too, they must be equal.</param>
    /// <exception cref="ArgumentException">An argument is null.</exception>
    public CoseEncrypt0(ICryptoProvider provider, CoseKey key, int allowedAlgorithm)
        : this(provider, key, allowedAlgorithm, CoseKeyOperation.Encrypt, CoseKeyOperation.Decrypt)
    {
    }

    private CoseEncrypt0(ICryptoProvider provider, CoseKey key, int allowedAlgorithm, int createOperation, int decryptOperation)
    {
        if (provider == null)
        {
            throw new ArgumentException("provider must not be null.");
        }

        CoseError e = CoseKeyCheck.Resolve(key, allowedAlgorithm, CoseAlgorithmKind.Aead, out _alg);
        if (e == CoseError.None)
        {
            if (_alg.Id == CoseAlgorithm.A128Gcm.Id || _alg.Id == CoseAlgorithm.A256Gcm.Id)
            {
                IAesGcmProvider gcm = provider as IAesGcmProvider;
                _aead = gcm == null ? null : gcm.CreateAesGcm(key.K, 0, key.K.Length);
            }
            else
            {
                // RFC 9053 §4.2: AES-CCM-16-* has L = 2 (13-byte nonce), AES-CCM-64-* has L = 8 (7-byte nonce).
                _aead = provider.CreateAesCcm(key.K, 0, key.K.Length, _alg.TagSize, 15 - _alg.NonceSize);
            }

            if (_aead == null)
            {
                e = CoseError.UnsupportedAlgorithm;
            }
        }

        _decryptError = e;
        _createError = e;
        if (e != CoseError.None)
        {
            return;
        }

        // RFC 9052 §7.1 key_ops: 3 encrypt, 4 decrypt for data; 5 wrap key, 6 unwrap key for keys (ForKeyWrap).
        if (!key.Permits(decryptOperation))
        {
            _decryptError = CoseError.KeyOperationNotPermitted;
        }

        if (!key.Permits(createOperation))
        {
            _createError = CoseError.KeyOperationNotPermitted;
        }

        _random = provider.Random;
        _nonce = new byte[_alg.NonceSize];
        _protected = CoseStructure.ProtectedAlg(_alg.Id);
        _kid = key.KidBytes == null ? null : key.GetKid();
        _aad = new byte[64];
        byte[] baseIv = key.BaseIvBytes;
        if (baseIv != null && baseIv.Length == _alg.NonceSize)
        {
            _contextIv = new byte[baseIv.Length];
            Array.Copy(baseIv, 0, _contextIv, 0, baseIv.Length);
        }
    }

    /// <summary>
    /// Binds to a key whose messages carry keys, as the Encrypted_COSE_Key in a cnf (RFC 8747 §3.3): its key_ops, when
    /// present, must permit wrap key (5) to create and unwrap key (6) to decrypt (RFC 9052 §7.1), so a key marked for
    /// keys is refused for data and a key marked encrypt/decrypt for data is refused here.
    /// </summary>
    /// <param name="provider">The crypto provider.</param>
    /// <param name="key">A symmetric key pinned to an AEAD algorithm.</param>
    /// <returns>The bound object; check <see cref="KeyError"/>.</returns>
    /// <exception cref="ArgumentException">An argument is null.</exception>
    public static CoseEncrypt0 ForKeyWrap(ICryptoProvider provider, CoseKey key)
    {
        return new CoseEncrypt0(provider, key, 0, CoseKeyOperation.WrapKey, CoseKeyOperation.UnwrapKey);
    }

    /// <summary>The pinned algorithm, or null when the key could not be used (see <see cref="KeyError"/>).</summary>
    public CoseAlgorithm Algorithm
    {
        get { return _alg; }
    }

    /// <summary>Why the key cannot decrypt, or <see cref="CoseError.None"/>.</summary>
    public CoseError KeyError
    {
        get { return _decryptError; }
    }

    /// <summary>When true, an untagged message is refused with <see cref="CoseError.MissingTag"/>.</summary>
    public bool RequireTag { get; set; }

    /// <summary>Extra integer header labels the application processes, so a crit listing them is accepted (RFC 9052 §3.1).</summary>
    /// <param name="labels">The labels, or null for none.</param>
    public void SetUnderstoodCriticalLabels(int[] labels)
    {
        _understood = CoseMac0.CopyLabels(labels);
    }

    /// <summary>
    /// Sets the context IV that a Partial IV is combined with (RFC 9052 §3.1: left-pad the Partial IV
    /// with zeros to the nonce size, then XOR). Overrides the key's Base IV. This is the hook for
    /// protocols that keep the fixed part of the nonce out of the message.
    /// </summary>
    /// <param name="iv">The array holding the context IV.</param>
    /// <param name="offset">Where it starts.</param>
    /// <param name="length">Its length; must equal the algorithm's nonce size.</param>
    /// <exception cref="ArgumentException">The length is wrong or the key is unusable.</exception>
    public void SetContextIv(byte[] iv, int offset, int length)
    {
        if (_alg == null || iv == null || length != _alg.NonceSize)
        {
            throw new ArgumentException("The context IV must be the algorithm's nonce size.");
        }

        CoseStructure.CheckRange(iv, offset, length, "iv");
        _contextIv = new byte[length];
        Array.Copy(iv, offset, _contextIv, 0, length);
    }

    /// <summary>Decrypts a whole-array message without external_aad into a new result and buffer (convenience; allocates).</summary>
    /// <param name="message">The COSE_Encrypt0, tagged (16) or untagged.</param>
    /// <returns>The result; its payload is a new array.</returns>
    public CoseResult Decrypt(byte[] message)
    {
        CoseResult result = new CoseResult();
        int n = message == null ? 0 : message.Length;
        Decrypt(new ByteRange(message, 0, n), default(ByteRange), new ByteRange(new byte[n], 0, n), result);
        return result;
    }

    /// <summary>
    /// Verifies and decrypts a COSE_Encrypt0 into the caller's buffer. On success the result's
    /// payload is a slice of <paramref name="plaintext"/>; on failure that region holds no plaintext.
    /// </summary>
    /// <param name="message">Exactly one message.</param>
    /// <param name="externalAad">external_aad (empty for none).</param>
    /// <param name="plaintext">Receives the plaintext, in another array than the message; too small gives <see cref="CoseError.PlaintextBufferTooSmall"/>.</param>
    /// <param name="result">Receives the outcome.</param>
    /// <returns>The same reason as <see cref="CoseResult.Error"/>.</returns>
    /// <exception cref="ArgumentException">A null argument, a bad range, or plaintext is the message array.</exception>
    /// <exception cref="ObjectDisposedException">This object was disposed.</exception>
    public CoseError Decrypt(ByteRange message, ByteRange externalAad, ByteRange plaintext, CoseResult result)
    {
        if (message.Buffer == null || result == null || plaintext.Buffer == null)
        {
            throw new ArgumentException("message, plaintext and result must not be null.");
        }

        if (ReferenceEquals(message.Buffer, plaintext.Buffer))
        {
            throw new ArgumentException("plaintext must be another array than message.");
        }

        if (_disposed)
        {
            throw new ObjectDisposedException("CoseEncrypt0");
        }

        if (_decryptError != CoseError.None)
        {
            return result.Fail(_decryptError, -1);
        }

        CoseMessageParser p = _parser;
        CoseError e = p.ParseFor(_alg, message.Buffer, message.Offset, message.Count, CoseTag.Encrypt0, RequireTag, _understood);
        if (e != CoseError.None)
        {
            return result.Fail(e, p.ErrorOffset);
        }

        e = BuildNonce(p);
        if (e != CoseError.None)
        {
            return result.Fail(e, p.IvOffset >= 0 ? p.IvOffset : p.PartialIvOffset);
        }

        // RFC 9052 §5.2: the ciphertext field holds the encrypted content followed by the tag.
        int tagSize = _alg.TagSize;
        if (p.LastLength < tagSize)
        {
            return result.Fail(CoseError.TagLengthInvalid, p.LastOffset);
        }

        int length = p.LastLength - tagSize;
        if (length > plaintext.Count)
        {
            return result.Fail(CoseError.PlaintextBufferTooSmall, p.LastOffset);
        }

        if (length > _aead.MaxMessageLength)
        {
            return result.Fail(CoseError.LimitExceeded, p.LastOffset);
        }

        byte[] m = message.Buffer;
        int aadSize = BuildEncStructure(new ByteRange(m, p.ProtectedOffset, p.ProtectedLength), externalAad);
        bool ok = _aead.Decrypt(
            ByteRange.Of(_nonce),
            new ByteRange(m, p.LastOffset, length),
            m, p.LastOffset + length,
            plaintext.Buffer, plaintext.Offset,
            new ByteRange(_aad, 0, aadSize));
        if (!ok)
        {
            return result.Fail(CoseError.DecryptionFailed, p.LastOffset);
        }

        return result.Succeed(_alg.Id, plaintext.Slice(0, length), p);
    }

    /// <summary>
    /// Creates a COSE_Encrypt0 with protected {1: alg} and unprotected {4: key's kid (if asked), 5: IV}.
    /// </summary>
    /// <param name="plaintext">The content (its buffer may be null when empty).</param>
    /// <param name="externalAad">external_aad (empty for none).</param>
    /// <param name="iv">The IV, exactly the algorithm's nonce size, or null to draw a fresh random one from the provider.
    /// A given IV must never repeat under this key (RFC 9053 §4.1, §4.2); pass one only to reproduce a vector.</param>
    /// <param name="includeKid">Put the key's kid in the unprotected bucket.</param>
    /// <param name="tagged">Prefix the COSE_Encrypt0 tag 16.</param>
    /// <param name="destination">Where the message may be written; must not overlap the plaintext.</param>
    /// <returns>The message length.</returns>
    /// <exception cref="ArgumentException">A null argument, a bad range or IV, a destination too small, or a key that cannot create.</exception>
    public int Create(ByteRange plaintext, ByteRange externalAad, byte[] iv, bool includeKid, bool tagged, ByteRange destination)
    {
        if (destination.Buffer == null)
        {
            throw new ArgumentException("destination must not be null.");
        }

        if (_disposed)
        {
            throw new ObjectDisposedException("CoseEncrypt0");
        }

        if (_createError != CoseError.None)
        {
            throw new ArgumentException("This key cannot create COSE_Encrypt0: " + _createError.ToString() + ".");
        }

        if (iv != null && iv.Length != _alg.NonceSize)
        {
            throw new ArgumentException("The IV must be " + _alg.NonceSize.ToString() + " bytes for " + _alg.Name + " (RFC 9053 §4).");
        }

        if (includeKid && _kid == null)
        {
            throw new ArgumentException("includeKid was set but the key has no kid.");
        }

        if (plaintext.Count > _aead.MaxMessageLength)
        {
            throw new ArgumentException("The plaintext is longer than " + _alg.Name + " allows.");
        }

        if (iv == null)
        {
            _random.GetBytes(_nonce, 0, _nonce.Length);
        }
        else
        {
            Array.Copy(iv, 0, _nonce, 0, _nonce.Length);
        }

        int ciphertextLength = plaintext.Count + _alg.TagSize;
        int at;
        try
        {
            CborWriter w = new CborWriter(destination.Buffer, destination.Offset, destination.Count);
            if (tagged)
            {
                w.WriteTag(CoseTag.Encrypt0);
            }

            w.WriteStartArray(3);
            w.WriteByteString(_protected);
            w.WriteStartMap(includeKid ? 2 : 1);
            if (includeKid)
            {
                w.WriteInt32(CoseHeaderLabel.Kid);
                w.WriteByteString(_kid);
            }

            w.WriteInt32(CoseHeaderLabel.Iv);
            w.WriteByteString(_nonce);
            w.WriteHead(CborMajorType.ByteString, (ulong)ciphertextLength);
            at = w.Offset;
            if (w.BytesRemaining < ciphertextLength)
            {
                throw new ArgumentException("destination is too small for the COSE_Encrypt0.");
            }
        }
        catch (CborException)
        {
            throw new ArgumentException("destination is too small for the COSE_Encrypt0.");
        }

        int aadSize = BuildEncStructure(ByteRange.Of(_protected), externalAad);
        _aead.Encrypt(
            ByteRange.Of(_nonce),
            plaintext,
            destination.Buffer, at,
            destination.Buffer, at + plaintext.Count,
            new ByteRange(_aad, 0, aadSize));
        return at + ciphertextLength - destination.Offset;
    }

    /// <summary>Erases the key inside the cipher and the context IV.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (_aead != null)
            {
                _aead.Dispose();
            }

            CryptoBytes.Clear(_contextIv);
            CryptoBytes.Clear(_nonce);
            CryptoBytes.Clear(_aad);
        }
    }

    private CoseError BuildNonce(CoseMessageParser p)
    {
        byte[] m = p.Buffer;
        if (p.IvOffset >= 0)
        {
            if (p.IvLength != _nonce.Length)
            {
                return CoseError.IvLengthInvalid;
            }

            Array.Copy(m, p.IvOffset, _nonce, 0, _nonce.Length);
            return CoseError.None;
        }

        if (p.PartialIvOffset >= 0)
        {
            if (_contextIv == null)
            {
                return CoseError.MissingIv;
            }

            if (p.PartialIvLength > _nonce.Length)
            {
                return CoseError.IvLengthInvalid;
            }

            // RFC 9052 §3.1: left-pad the Partial IV with zeros to the IV length, then XOR with the context IV.
            Array.Copy(_contextIv, 0, _nonce, 0, _nonce.Length);
            int pad = _nonce.Length - p.PartialIvLength;
            for (int i = 0; i < p.PartialIvLength; i++)
            {
                _nonce[pad + i] ^= m[p.PartialIvOffset + i];
            }

            return CoseError.None;
        }

        return CoseError.MissingIv;
    }

    // RFC 9052 §5.3: the AEAD's associated data is Enc_structure = [ "Encrypt0", protected, external_aad ].
    private int BuildEncStructure(ByteRange prot, ByteRange aad)
    {
        int size = CoseStructure.Size(CoseStructure.Encrypt0Context, prot.Count, aad.Count, 0, false);
        if (size > _aad.Length)
        {
            // Grows only for a larger external_aad than seen before; the old copy is erased.
            CryptoBytes.Clear(_aad);
            _aad = new byte[size];
        }

        return CoseStructure.Write(_aad, CoseStructure.Encrypt0Context, prot, aad, default(ByteRange), false);
    }
}
