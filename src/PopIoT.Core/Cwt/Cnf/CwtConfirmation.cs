using System;
using PopIoT.Core.Cbor;
using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;

namespace PopIoT.Core.Cwt;

/// <summary>
/// The proof-of-possession key of a validated CWT: its cnf claim (RFC 8747 §3.1) with exactly one
/// method. For <see cref="CnfMethod.CoseKey"/> and <see cref="CnfMethod.EncryptedCoseKey"/> the
/// COSE_Key is located as slices (no copy; labels in any order, RFC 8747 §3.3's example is 3, 1, −1);
/// for <see cref="CnfMethod.Kid"/> the kid; for <see cref="CnfMethod.OscoreInputMaterial"/> the
/// <see cref="Oscore"/> fields. Slices point into <see cref="Buffer"/>: the token, or a buffer owned by
/// the <see cref="CwtValidationResult"/> (decrypted token or Encrypted_COSE_Key), which
/// <see cref="Clear"/> erases. <see cref="ToString"/> never shows key bytes.
/// </summary>
public sealed partial class CwtConfirmation
{
    private readonly byte[] _cnfPlaintext;
    private readonly byte[] _tokenPlaintext;
    private readonly CoseResult _cose = new CoseResult();
    private int _cnfUsed;
    private bool _clean;
    // What Read found for Finish: its refusal, or the Encrypted_COSE_Key to decrypt (method 2).
    private CwtError _pending;
    private byte[] _sealed;
    private int _sealedOffset;
    private int _sealedLength;
    private readonly CborReader _keyReader = new CborReader(new byte[1], 0, 0, CwtLimits.MaxDepth) { ThrowOnError = false };

    internal CwtConfirmation(byte[] tokenPlaintext, byte[] cnfPlaintext)
    {
        _tokenPlaintext = tokenPlaintext;
        _cnfPlaintext = cnfPlaintext;
        Oscore = new OscoreInputMaterial();
        Reset();
    }

    /// <summary>The method, or <see cref="CnfMethod.None"/> when the token has no cnf.</summary>
    public CnfMethod Method { get; private set; }

    /// <summary>The array holding the slices below.</summary>
    public byte[] Buffer { get; private set; }

    /// <summary>The encoded COSE_Key map (methods 1 and 2).</summary>
    public int KeyOffset { get; private set; }

    /// <summary>Length of the encoded COSE_Key.</summary>
    public int KeyLength { get; private set; }

    /// <summary>kty (RFC 9052 §7): 1 OKP, 2 EC2, 4 Symmetric; 0 without a key.</summary>
    public int KeyType { get; private set; }

    /// <summary>The COSE_Key's alg when an integer, else 0.</summary>
    public int KeyAlgorithm { get; private set; }

    /// <summary>crv of an EC2/OKP key, else 0.</summary>
    public int Curve { get; private set; }

    /// <summary>The kid: the cnf kid (method 3) or the COSE_Key's kid (label 2); length 0 when absent.</summary>
    public int KidOffset { get; private set; }

    /// <summary>The kid length.</summary>
    public int KidLength { get; private set; }

    /// <summary>k of a symmetric key (secret).</summary>
    public int SymmetricKeyOffset { get; private set; }

    /// <summary>Length of k, 0 unless symmetric.</summary>
    public int SymmetricKeyLength { get; private set; }

    /// <summary>x of an EC2/OKP public key.</summary>
    public int XOffset { get; private set; }

    /// <summary>Length of x.</summary>
    public int XLength { get; private set; }

    /// <summary>y of an EC2 key.</summary>
    public int YOffset { get; private set; }

    /// <summary>Length of y (0 when absent).</summary>
    public int YLength { get; private set; }

    /// <summary>The OSCORE_Input_Material (method 4); its fields are empty otherwise.</summary>
    public OscoreInputMaterial Oscore { get; }

    /// <summary>The COSE error when an Encrypted_COSE_Key did not decrypt, else <see cref="Cose.CoseError.None"/>.</summary>
    public CoseError CoseError { get; private set; }

    /// <summary>Decodes the COSE_Key into a new <see cref="Cose.CoseKey"/> (allocates; dispose it to erase).</summary>
    /// <returns>The key, or null for methods without a COSE_Key or a key <see cref="Cose.CoseKey.Decode(byte[], int, int, out Cose.CoseKey)"/> refuses.</returns>
    public CoseKey ToCoseKey()
    {
        if (Method != CnfMethod.CoseKey && Method != CnfMethod.EncryptedCoseKey)
        {
            return null;
        }

        CoseKey key;
        return CoseKey.Decode(Buffer, KeyOffset, KeyLength, out key) == CoseError.None ? key : null;
    }

    /// <summary>Copies k of a symmetric key into the caller's buffer.</summary>
    /// <param name="destination">Receives k.</param>
    /// <param name="offset">Where to write.</param>
    /// <returns>The number of bytes written (0 when not a symmetric key).</returns>
    /// <exception cref="ArgumentException">The destination is too small.</exception>
    public int CopySymmetricKey(byte[] destination, int offset)
    {
        if (destination == null || offset < 0 || destination.Length - offset < SymmetricKeyLength)
        {
            throw new ArgumentException("destination is too small for the key.");
        }

        Array.Copy(Buffer == null ? destination : Buffer, SymmetricKeyOffset, destination, offset, SymmetricKeyLength);
        return SymmetricKeyLength;
    }

    /// <summary>
    /// Erases the decrypted key material held by the result's buffers (the Encrypted_COSE_Key plaintext
    /// and the decrypted Encrypt0 token, whose claims become unreadable too) and forgets the slices.
    /// </summary>
    public void Clear()
    {
        CryptoBytes.Clear(_cnfPlaintext);
        CryptoBytes.Clear(_tokenPlaintext);
        _cnfUsed = 0;
        Reset();
    }

    /// <summary>A description without key bytes (DESIGN.md §5: never log keys).</summary>
    /// <returns>The method and key type.</returns>
    public override string ToString()
    {
        switch (Method)
        {
            case CnfMethod.None:
                return "cnf: none";
            case CnfMethod.Kid:
                return "cnf: kid (" + KidLength.ToString() + " bytes)";
            case CnfMethod.OscoreInputMaterial:
                return "cnf: " + Oscore.ToString();
            default:
                return "cnf: " + (Method == CnfMethod.CoseKey ? "COSE_Key" : "Encrypted_COSE_Key") + " kty " + KeyType.ToString();
        }
    }

    internal void Reset()
    {
        if (_clean)
        {
            // Nothing was set since the last reset.
            return;
        }

        _clean = true;
        // The previous decrypted key never outlives the next use of this object.
        if (_cnfUsed > 0)
        {
            CryptoBytes.Clear(_cnfPlaintext, 0, _cnfUsed);
            _cnfUsed = 0;
        }

        Method = CnfMethod.None;
        Buffer = null;
        KeyOffset = KeyLength = KeyType = KeyAlgorithm = Curve = 0;
        KidOffset = KidLength = 0;
        SymmetricKeyOffset = SymmetricKeyLength = XOffset = XLength = YOffset = YLength = 0;
        CoseError = CoseError.None;
        Oscore.Reset();
        _pending = CwtError.None;
        _sealed = null;
    }

    // RFC 8747 §3.1: cnf = { method => value }; exactly one method understood here. Unknown integer
    // or text members are ignored (RFC 7800 §3.1, which RFC 8747 §3.1 mirrors), but at least one of
    // 1..4 must be present. `encrypted` says whether the token was an Encrypt0 (RFC 8747 §3.2).
    // The claims pass calls this where its reader stands on the cnf map, so the map is walked once; the outcome
    // waits for Finish, so that a token is refused for its claims before its cnf, and an Encrypted_COSE_Key is
    // only located here (decrypted by Finish). The reader is left after the map whatever the outcome.
    internal void Read(CborReader r, byte[] buffer, bool encrypted)
    {
        Reset();
        int depth = r.CurrentDepth;
        _pending = ReadMap(r, buffer, encrypted);
        r.SkipTo(depth);
    }

    // The outcome of Read, with the Encrypted_COSE_Key decrypted (RFC 8747 §3.3) by the AS–RS key wrap.
    internal CwtError Finish(CoseEncrypt0 decryptor)
    {
        CwtError e = _pending;
        if (e == CwtError.None && Method == CnfMethod.EncryptedCoseKey)
        {
            e = Decrypt(decryptor);
            if (_keyReader.Error != CborError.None)
            {
                // The reader's sticky error outranks what was concluded from the neutral values read after it.
                e = CwtError.Malformed;
            }
        }

        if (e != CwtError.None)
        {
            // A decrypted key that is then refused is erased at once.
            CryptoBytes.Clear(_cnfPlaintext, 0, _cnfUsed);
            CoseError keep = CoseError;
            Reset();
            CoseError = keep;
            _clean = false;
        }

        return e;
    }

    // One pass over the cnf map: the method's value is read where it stands, and the rest of the map
    // is still walked so that a second method is refused.
    private CwtError ReadMap(CborReader r, byte[] buffer, bool encrypted)
    {
        _clean = false;
        r.ReadStartMap();
        int method = 0;
        int pairs = 0;
        while (r.HasNext())
        {
            if (++pairs > CwtLimits.MaxKeyLabels)
            {
                return CwtError.LimitExceeded;
            }

            CborReaderState ks = r.PeekState();
            if (ks == CborReaderState.UnsignedInteger)
            {
                ulong label = r.ReadUInt64();
                if (label >= 1 && label <= 4)
                {
                    if (method != 0)
                    {
                        // Two methods would leave the RS guessing which key the client must prove.
                        return CwtError.InvalidCnf;
                    }

                    method = (int)label;
                    Method = (CnfMethod)method;
                    CwtError e = ParseMethod(r, buffer, method, encrypted);
                    if (e != CwtError.None)
                    {
                        return e;
                    }

                    continue;
                }
            }
            else if (ks == CborReaderState.NegativeInteger || ks == CborReaderState.TextString)
            {
                r.SkipValue();
            }
            else
            {
                return CwtError.InvalidCnf;
            }

            r.SkipValue();
        }

        if (method == 0)
        {
            return pairs == 0 ? CwtError.InvalidCnf : CwtError.UnsupportedCnf;
        }

        return CwtError.None;
    }

    private CwtError ParseMethod(CborReader r, byte[] buffer, int method, bool encrypted)
    {
        CwtError e;
        switch (method)
        {
            case 1:
                e = ParseKey(r, buffer);
                if (e == CwtError.None && KeyType == CoseKeyType.Symmetric && !encrypted)
                {
                    // RFC 8747 §3.2: a symmetric COSE_Key in clear only inside an encrypted CWT.
                    e = CwtError.KeyMaterialNotEncrypted;
                }

                return e;

            case 2:
                _sealed = buffer;
                r.ReadEncodedValue(out _sealedOffset, out _sealedLength);
                return CwtError.None;

            case 3:
                // RFC 8747 §3.4: kid is a binary string.
                if (r.PeekState() != CborReaderState.ByteString)
                {
                    return CwtError.InvalidCnf;
                }

                int ko;
                int kl;
                r.ReadByteString(out ko, out kl);
                Buffer = buffer;
                KidOffset = ko;
                KidLength = kl;
                return CwtError.None;

            default:
                e = Oscore.Parse(r, buffer);
                if (e == CwtError.None && !encrypted)
                {
                    // RFC 9203 §3.2: the Master Secret MUST be encrypted so that only the RS can read it.
                    e = CwtError.KeyMaterialNotEncrypted;
                }

                Buffer = buffer;
                return e;
        }
    }

    private CwtError Decrypt(CoseEncrypt0 decryptor)
    {
        // RFC 8747 §3.3: COSE_Encrypt0 (tag 16 or a 3-item array) or COSE_Encrypt (tag 96, 4 items).
        CborReader r = _keyReader;
        r.Reset(_sealed, _sealedOffset, _sealedLength);
        CborReaderState s = r.PeekState();
        if (s == CborReaderState.Tag)
        {
            ulong tag = r.ReadTag();
            if (tag != CoseTag.Encrypt0)
            {
                return tag == 96 ? CwtError.UnsupportedCnf : CwtError.InvalidCnf;
            }

            s = r.PeekState();
        }

        if (s != CborReaderState.StartArray)
        {
            return CwtError.InvalidCnf;
        }

        int items = r.ReadStartArray();
        if (items == 4)
        {
            // Multi-recipient COSE_Encrypt: the RS has one AS–RS key, so Encrypt0 suffices (RFC 8747 §3.3 allows either).
            return CwtError.UnsupportedCnf;
        }

        if (decryptor == null)
        {
            return CwtError.CnfKeyMissing;
        }

        CoseError ce = decryptor.Decrypt(new ByteRange(_sealed, _sealedOffset, _sealedLength), default(ByteRange), ByteRange.Of(_cnfPlaintext), _cose);
        if (ce != CoseError.None)
        {
            CoseError = ce;
            return ce == CoseError.PlaintextBufferTooSmall ? CwtError.LimitExceeded : CwtError.CnfDecryptionFailed;
        }

        _cnfUsed = _cose.PayloadLength;
        r.Reset(_cnfPlaintext, 0, _cose.PayloadLength);
        CwtError e = ParseKey(r, _cnfPlaintext);
        if (e == CwtError.None && r.PeekState() != CborReaderState.Finished)
        {
            e = CwtError.InvalidCnf;
        }

        return e;
    }
}
