using System;

namespace PopIoT.Core.Cose;

/// <summary>
/// A COSE_Key (RFC 9052 §7, RFC 9053 §6.1, §7.1, §7.2): Symmetric (k), EC2 P-256 (x, y, optional d)
/// or OKP Ed25519 (x, optional d), with kid, alg, key_ops and Base IV. The key carries the
/// algorithm allow-list: <see cref="CoseMac0"/>, <see cref="CoseEncrypt0"/> and <see cref="CoseSign1"/>
/// accept only the message alg equal to the key's <see cref="Algorithm"/>. Arrays are copied in and
/// kept private; <see cref="Dispose"/> erases k and d.
/// </summary>
public sealed partial class CoseKey : IDisposable
{
    private byte[] _kid;
    private int _keyOps;
    private bool _hasKeyOps;
    private byte[] _baseIv;

    private CoseKey(int keyType, int curve, int algorithm)
    {
        KeyType = keyType;
        Curve = curve;
        Algorithm = algorithm;
    }

    /// <summary>kty: <see cref="CoseKeyType"/>.</summary>
    public int KeyType { get; }

    /// <summary>crv for EC2/OKP keys (<see cref="CoseCurve"/>); 0 for symmetric keys.</summary>
    public int Curve { get; }

    /// <summary>The algorithm the key is pinned to (IANA number), or 0 when the key has none (0 is reserved in the registry).</summary>
    public int Algorithm { get; private set; }

    /// <summary>True when the key names its algorithm.</summary>
    public bool HasAlgorithm
    {
        get { return Algorithm != 0; }
    }

    /// <summary>True when the key holds private material: k, or d.</summary>
    public bool HasPrivateKey
    {
        get { return K != null || D != null; }
    }

    /// <summary>The kid length in bytes (0 when absent).</summary>
    public int KidLength
    {
        get { return _kid == null ? 0 : _kid.Length; }
    }

    /// <summary>True when key_ops is present (then only the listed operations are permitted).</summary>
    public bool HasKeyOperations
    {
        get { return _hasKeyOps; }
    }

    /// <summary>True when <see cref="Dispose"/> has erased the key.</summary>
    public bool IsDisposed { get; private set; }

    internal byte[] K { get; private set; }

    internal byte[] X { get; private set; }

    internal byte[] Y { get; private set; }

    internal byte[] D { get; private set; }

    internal byte[] KidBytes
    {
        get { return _kid; }
    }

    internal byte[] BaseIvBytes
    {
        get { return _baseIv; }
    }

    /// <summary>Creates a symmetric key (kty 4, RFC 9053 §6.1).</summary>
    /// <param name="k">The key bytes (copied).</param>
    /// <param name="algorithm">The algorithm the key is pinned to, or 0 for none.</param>
    /// <param name="kid">The key identifier (copied), or null.</param>
    /// <returns>The key.</returns>
    /// <exception cref="ArgumentException"><paramref name="k"/> is null or empty, or the kid is too long.</exception>
    public static CoseKey Symmetric(byte[] k, int algorithm, byte[] kid)
    {
        if (k == null || k.Length == 0)
        {
            throw new ArgumentException("A symmetric key needs k.");
        }

        CoseKey key = new CoseKey(CoseKeyType.Symmetric, 0, algorithm);
        key.K = Copy(k);
        key.SetKid(kid);
        return key;
    }

    /// <summary>Creates an EC2 P-256 key (RFC 9053 §7.1.1) with uncompressed coordinates.</summary>
    /// <param name="x">x, 32 bytes big-endian (copied).</param>
    /// <param name="y">y, 32 bytes big-endian (copied).</param>
    /// <param name="d">The private key, 32 bytes, or null for a public key.</param>
    /// <param name="algorithm">The algorithm (normally ES256, -7), or 0 for none.</param>
    /// <param name="kid">The key identifier, or null.</param>
    /// <returns>The key.</returns>
    /// <exception cref="ArgumentException">A coordinate is not 32 bytes.</exception>
    public static CoseKey Ec2P256(byte[] x, byte[] y, byte[] d, int algorithm, byte[] kid)
    {
        if (x == null || x.Length != 32 || y == null || y.Length != 32 || (d != null && d.Length != 32))
        {
            throw new ArgumentException("A P-256 key needs 32-byte x and y, and a 32-byte d if private.");
        }

        CoseKey key = new CoseKey(CoseKeyType.Ec2, CoseCurve.P256, algorithm);
        key.X = Copy(x);
        key.Y = Copy(y);
        key.D = Copy(d);
        key.SetKid(kid);
        return key;
    }

    /// <summary>Creates an OKP Ed25519 key (RFC 9053 §7.2).</summary>
    /// <param name="x">The public key, 32 bytes (copied).</param>
    /// <param name="d">The private key seed, 32 bytes, or null for a public key.</param>
    /// <param name="algorithm">The algorithm (normally EdDSA, -8), or 0 for none.</param>
    /// <param name="kid">The key identifier, or null.</param>
    /// <returns>The key.</returns>
    /// <exception cref="ArgumentException">A part is not 32 bytes.</exception>
    public static CoseKey OkpEd25519(byte[] x, byte[] d, int algorithm, byte[] kid)
    {
        if (x == null || x.Length != 32 || (d != null && d.Length != 32))
        {
            throw new ArgumentException("An Ed25519 key needs a 32-byte x, and a 32-byte d if private.");
        }

        CoseKey key = new CoseKey(CoseKeyType.Okp, CoseCurve.Ed25519, algorithm);
        key.X = Copy(x);
        key.D = Copy(d);
        key.SetKid(kid);
        return key;
    }

    /// <summary>Restricts the key to the listed key_ops (RFC 9052 §7.1); replaces any earlier list.</summary>
    /// <param name="operations">Values of <see cref="CoseKeyOperation"/>.</param>
    /// <exception cref="ArgumentException">A value is outside 1..10.</exception>
    public void SetKeyOperations(int[] operations)
    {
        if (operations == null)
        {
            throw new ArgumentException("operations must not be null.");
        }

        int mask = 0;
        for (int i = 0; i < operations.Length; i++)
        {
            if (operations[i] < 1 || operations[i] > 10)
            {
                throw new ArgumentException("key_ops values are 1..10 (RFC 9052 §7.1).");
            }

            mask |= 1 << operations[i];
        }

        _keyOps = mask;
        _hasKeyOps = true;
    }

    /// <summary>Sets the Base IV (COSE_Key label 5), the context IV for messages with a Partial IV.</summary>
    /// <param name="baseIv">The IV bytes (copied), or null to remove it.</param>
    public void SetBaseIv(byte[] baseIv)
    {
        _baseIv = Copy(baseIv);
    }

    /// <summary>True when key_ops is absent or lists <paramref name="operation"/> (RFC 9052 §7.1).</summary>
    /// <param name="operation">A <see cref="CoseKeyOperation"/> value.</param>
    /// <returns>Whether the key may be used for it.</returns>
    public bool Permits(int operation)
    {
        if (operation < 1 || operation > 10)
        {
            return false;
        }

        return !_hasKeyOps || (_keyOps & (1 << operation)) != 0;
    }

    /// <summary>True when the key's kid equals the given bytes (e.g. a message's kid), compared in full.</summary>
    /// <param name="buffer">The array holding the kid.</param>
    /// <param name="offset">Where it starts.</param>
    /// <param name="length">Its length.</param>
    /// <returns>Whether they are equal; false when the key has no kid.</returns>
    public bool KidEquals(byte[] buffer, int offset, int length)
    {
        if (_kid == null || buffer == null || length != _kid.Length || offset < 0 || offset > buffer.Length - length)
        {
            return false;
        }

        for (int i = 0; i < length; i++)
        {
            if (_kid[i] != buffer[offset + i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A copy of the kid, or null.</summary>
    /// <returns>The kid bytes.</returns>
    public byte[] GetKid()
    {
        return Copy(_kid);
    }

    /// <summary>A copy of the public coordinates as a new public COSE_Key (no d), for EC2 and OKP keys.</summary>
    /// <returns>The public key, or null for a symmetric key (it has no public part).</returns>
    public CoseKey ToPublicKey()
    {
        if (KeyType == CoseKeyType.Symmetric || X == null)
        {
            return null;
        }

        CoseKey pub = new CoseKey(KeyType, Curve, Algorithm);
        pub.X = Copy(X);
        pub.Y = Copy(Y);
        pub.SetKid(_kid);
        pub._keyOps = _keyOps;
        pub._hasKeyOps = _hasKeyOps;
        return pub;
    }

    /// <summary>Erases k and d (DESIGN.md §5); the key can no longer be used.</summary>
    public void Dispose()
    {
        if (K != null)
        {
            Array.Clear(K, 0, K.Length);
            K = null;
        }

        if (D != null)
        {
            Array.Clear(D, 0, D.Length);
            D = null;
        }

        IsDisposed = true;
    }

    private static byte[] Copy(byte[] source)
    {
        if (source == null)
        {
            return null;
        }

        byte[] copy = new byte[source.Length];
        Array.Copy(source, 0, copy, 0, source.Length);
        return copy;
    }

    private void SetKid(byte[] kid)
    {
        if (kid != null && kid.Length > CoseLimits.MaxKidLength)
        {
            throw new ArgumentException("A kid is at most " + CoseLimits.MaxKidLength.ToString() + " bytes.");
        }

        _kid = Copy(kid);
    }
}
