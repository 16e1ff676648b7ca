using System;

using PopIoT.Core.Crypto;

namespace PopIoT.Core.Oscore;

/// <summary>
/// The scratch space of the RFC 8613 §3.2.1 derivation, allocated once per engine so that establishing a Security
/// Context allocates nothing: an HKDF-SHA256, the PRK and the 'info' buffer. The Master Secret and Master Salt go
/// through HKDF-Extract once; the Sender Key, Recipient Key and Common IV are three HKDF-Expand calls on that PRK
/// (RFC 5869 §2.2–2.3: Extract depends only on salt and IKM, which the three derivations share).
/// <see cref="Clear"/> erases the PRK; <see cref="Dispose"/> erases everything.
/// </summary>
internal sealed class DerivationWorkspace : IDisposable
{
    private readonly Hkdf _hkdf = new Hkdf();
    private readonly byte[] _prk = new byte[Hkdf.HashLength];
    private readonly byte[] _info = new byte[SecurityContextDerivation.MaxInfoLength];

    // A key on its way into a keyed cipher object (contexts that keep no raw keys); erased by Clear. Null for a
    // table whose slots keep their raw keys, where it would only cost memory.
    private readonly byte[] _key;

    /// <summary>A workspace for deriving contexts.</summary>
    /// <param name="keyedCiphers">Whether the keys go into keyed cipher objects (then <see cref="Key"/> is their way there).</param>
    public DerivationWorkspace(bool keyedCiphers)
    {
        _key = keyedCiphers ? new byte[SecurityContextSlots.KeyRoom] : null;
    }

    /// <summary>Room for one derived key that goes straight into a keyed cipher (erased by <see cref="Clear"/>), or null.</summary>
    public byte[] Key
    {
        get { return _key; }
    }

    /// <summary>HKDF-Extract(salt = Master Salt, IKM = Master Secret) into the workspace's PRK.</summary>
    public void Extract(ByteRange masterSecret, ByteRange masterSalt)
    {
        _hkdf.Extract(masterSalt, masterSecret, _prk, 0);
    }

    /// <summary>
    /// HKDF-Expand(PRK, info = [id, id_context, alg_aead, type, L], L) into <paramref name="output"/>; an
    /// <paramref name="idContext"/> over no buffer is nil.
    /// </summary>
    public void Expand(ByteRange id, ByteRange idContext, int algorithm, bool isKey, byte[] output, int outputOffset, int length)
    {
        int n = SecurityContextDerivation.EncodeInfo(id, idContext, algorithm, isKey, length, _info, 0);
        _hkdf.Expand(ByteRange.Of(_prk), new ByteRange(_info, 0, n), output, outputOffset, length);
    }

    /// <summary>Erases the PRK and the last info.</summary>
    public void Clear()
    {
        CryptoBytes.Clear(_prk);
        CryptoBytes.Clear(_info);
        if (_key != null)
        {
            CryptoBytes.Clear(_key);
        }
    }

    /// <summary>Erases everything.</summary>
    public void Dispose()
    {
        Clear();
        _hkdf.Dispose();
    }
}
