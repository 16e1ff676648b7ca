using System;
using PopIoT.Core.Cbor;
using PopIoT.Core.Crypto;

namespace PopIoT.Core.Cose;

/// <summary>
/// COSE_Sign1 (RFC 9052 §4.2) with ES256 (RFC 9053 §2.1, r || s) or EdDSA with Ed25519 (§2.2), bound
/// to one key whose alg pins the algorithm. Signatures come from an <see cref="ISignatureProvider"/>;
/// with a provider that has none (Core's managed one) every verify reports
/// <see cref="CoseError.UnsupportedAlgorithm"/>. Verify builds the Sig_structure (§4.4) in a buffer
/// owned by this object (EdDSA needs the whole message), grown only for a larger message than seen
/// before. Bad input gives a <see cref="CoseError"/>, never an exception. Not thread-safe.
/// </summary>
public sealed class CoseSign1 : IDisposable
{
    private readonly CoseMessageParser _parser = new CoseMessageParser();
    private readonly CoseAlgorithm _alg;
    private readonly CoseError _verifyError;
    private readonly CoseError _createError;
    private readonly ISignatureVerifier _verifier;
    private readonly ISigner _signer;
    private readonly byte[] _protected;
    private readonly byte[] _kid;
    private byte[] _toBeSigned;
    private int[] _understood;
    private bool _disposed;

    /// <summary>Binds to a key that names its algorithm.</summary>
    /// <param name="provider">The crypto provider; it must also implement <see cref="ISignatureProvider"/>.</param>
    /// <param name="key">An EC2 P-256 key (ES256) or an OKP Ed25519 key (EdDSA); with d to create.</param>
    /// <exception cref="ArgumentException">An argument is null.</exception>
    public CoseSign1(ICryptoProvider provider, CoseKey key)
        : this(provider, key, 0)
    {
    }

    /// <summary>Binds to a key with an explicit allowed algorithm, for keys that carry no alg.</summary>
    /// <param name="provider">The crypto provider.</param>
    /// <param name="key">An EC2 P-256 or OKP Ed25519 key.</param>
    /// <param name="allowedAlgorithm">The one alg messages may use; if the key has an alg too, they must be equal.</param>
    /// <exception cref="ArgumentException">An argument is null.</exception>
    public CoseSign1(ICryptoProvider provider, CoseKey key, int allowedAlgorithm)
    {
        if (provider == null)
        {
            throw new ArgumentException("provider must not be null.");
        }

        CoseError e = CoseKeyCheck.Resolve(key, allowedAlgorithm, CoseAlgorithmKind.Signature, out _alg);
        ISignatureProvider signatures = provider as ISignatureProvider;
        if (e == CoseError.None && signatures == null)
        {
            e = CoseError.UnsupportedAlgorithm;
        }

        _verifyError = e;
        _createError = e;
        if (e != CoseError.None)
        {
            return;
        }

        SignatureAlgorithm scheme = _alg.Id == CoseAlgorithm.ES256.Id ? SignatureAlgorithm.EcdsaP256Sha256 : SignatureAlgorithm.Ed25519;
        _verifier = signatures.CreateSignatureVerifier(scheme, key.X, key.Y);

        // RFC 9052 §7.1 key_ops: 1 sign, 2 verify.
        if (_verifier == null)
        {
            _verifyError = CoseError.InvalidKey;
        }
        else if (!key.Permits(CoseKeyOperation.Verify))
        {
            _verifyError = CoseError.KeyOperationNotPermitted;
        }

        if (key.D == null)
        {
            _createError = CoseError.InvalidKey;
        }
        else if (!key.Permits(CoseKeyOperation.Sign))
        {
            _createError = CoseError.KeyOperationNotPermitted;
        }
        else
        {
            _signer = signatures.CreateSigner(scheme, key.D, key.X, key.Y);
            if (_signer == null)
            {
                _createError = CoseError.InvalidKey;
            }
        }

        _protected = CoseStructure.ProtectedAlg(_alg.Id);
        _kid = key.KidBytes == null ? null : key.GetKid();
        _toBeSigned = new byte[128];
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

    /// <summary>When true, an untagged message is refused with <see cref="CoseError.MissingTag"/>.</summary>
    public bool RequireTag { get; set; }

    /// <summary>Extra integer header labels the application processes, so a crit listing them is accepted (RFC 9052 §3.1).</summary>
    /// <param name="labels">The labels, or null for none.</param>
    public void SetUnderstoodCriticalLabels(int[] labels)
    {
        _understood = CoseMac0.CopyLabels(labels);
    }

    /// <summary>Verifies a whole-array message without external_aad into a new result (convenience; allocates).</summary>
    /// <param name="message">The COSE_Sign1, tagged (18) or untagged.</param>
    /// <returns>The result.</returns>
    public CoseResult Verify(byte[] message)
    {
        CoseResult result = new CoseResult();
        Verify(message, 0, message == null ? 0 : message.Length, null, 0, 0, result);
        return result;
    }

    /// <summary>Verifies a COSE_Sign1. On success the result's payload is a slice of <paramref name="message"/>.</summary>
    /// <param name="message">The array holding the message.</param>
    /// <param name="offset">Where it starts.</param>
    /// <param name="count">Its length: exactly one message.</param>
    /// <param name="externalAad">external_aad; may be null when its length is 0.</param>
    /// <param name="aadOffset">Where it starts.</param>
    /// <param name="aadLength">Its length.</param>
    /// <param name="result">Receives the outcome.</param>
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
            throw new ObjectDisposedException("CoseSign1");
        }

        if (_verifyError != CoseError.None)
        {
            return result.Fail(_verifyError, -1);
        }

        CoseMessageParser p = _parser;
        CoseError e = p.ParseFor(_alg, message, offset, count, CoseTag.Sign1, RequireTag, _understood);
        if (e != CoseError.None)
        {
            return result.Fail(e, p.ErrorOffset);
        }

        if (p.LastLength != _verifier.SignatureSize)
        {
            return result.Fail(CoseError.SignatureLengthInvalid, p.LastOffset);
        }

        ByteRange payload = new ByteRange(message, p.PayloadOffset, p.PayloadLength);
        int size = BuildSigStructure(new ByteRange(message, p.ProtectedOffset, p.ProtectedLength), new ByteRange(externalAad, aadOffset, aadLength), payload);
        if (!_verifier.Verify(_toBeSigned, 0, size, message, p.LastOffset, p.LastLength))
        {
            return result.Fail(CoseError.SignatureInvalid, p.LastOffset);
        }

        return result.Succeed(_alg.Id, payload, p);
    }

    /// <summary>Creates a COSE_Sign1 with protected {1: alg} and, if asked, unprotected {4: key's kid}. Needs a private key (d).</summary>
    /// <param name="payload">The payload (its buffer may be null when empty).</param>
    /// <param name="externalAad">external_aad (empty for none).</param>
    /// <param name="includeKid">Put the key's kid in the unprotected bucket.</param>
    /// <param name="tagged">Prefix the COSE_Sign1 tag 18.</param>
    /// <param name="destination">Where the message may be written.</param>
    /// <returns>The message length.</returns>
    /// <exception cref="ArgumentException">A null argument, a bad range, a destination too small, or a key that cannot sign.</exception>
    public int Create(ByteRange payload, ByteRange externalAad, bool includeKid, bool tagged, ByteRange destination)
    {
        if (destination.Buffer == null)
        {
            throw new ArgumentException("destination must not be null.");
        }

        if (_disposed)
        {
            throw new ObjectDisposedException("CoseSign1");
        }

        if (_createError != CoseError.None)
        {
            throw new ArgumentException("This key cannot create COSE_Sign1: " + _createError.ToString() + ".");
        }

        if (includeKid && _kid == null)
        {
            throw new ArgumentException("includeKid was set but the key has no kid.");
        }

        int size = BuildSigStructure(ByteRange.Of(_protected), externalAad, payload);
        try
        {
            CborWriter w = new CborWriter(destination.Buffer, destination.Offset, destination.Count);
            if (tagged)
            {
                w.WriteTag(CoseTag.Sign1);
            }

            w.WriteStartArray(4);
            w.WriteByteString(_protected);
            w.WriteStartMap(includeKid ? 1 : 0);
            if (includeKid)
            {
                w.WriteInt32(CoseHeaderLabel.Kid);
                w.WriteByteString(_kid);
            }

            w.WriteByteString(payload.Buffer == null ? _protected : payload.Buffer, payload.Offset, payload.Count);
            int sigSize = _signer.SignatureSize;
            w.WriteHead(CborMajorType.ByteString, (ulong)sigSize);
            if (w.BytesRemaining < sigSize)
            {
                throw new ArgumentException("destination is too small for the COSE_Sign1.");
            }

            _signer.Sign(_toBeSigned, 0, size, destination.Buffer, w.Offset);
            return w.BytesWritten + sigSize;
        }
        catch (CborException)
        {
            throw new ArgumentException("destination is too small for the COSE_Sign1.");
        }
    }

    /// <summary>Releases the verifier and erases the private key inside the signer.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (_verifier != null)
            {
                _verifier.Dispose();
            }

            if (_signer != null)
            {
                _signer.Dispose();
            }
        }
    }

    // RFC 9052 §4.4: the signature covers Sig_structure = [ "Signature1", protected, external_aad, payload ].
    private int BuildSigStructure(ByteRange prot, ByteRange aad, ByteRange payload)
    {
        int size = CoseStructure.Size(CoseStructure.Signature1Context, prot.Count, aad.Count, payload.Count, true);
        if (size > _toBeSigned.Length)
        {
            _toBeSigned = new byte[size];
        }

        return CoseStructure.Write(_toBeSigned, CoseStructure.Signature1Context, prot, aad, payload, true);
    }
}
