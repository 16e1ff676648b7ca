using System;
using PopIoT.Core.Cbor;

namespace PopIoT.Core.Cose;

/// <summary>Writing a COSE_Key map in deterministic order (RFC 8949 §4.2.1).</summary>
public sealed partial class CoseKey
{
    /// <summary>
    /// Writes the key as a COSE_Key map in deterministic order (RFC 8949 §4.2.1: 1, 2, 3, 4, 5, -1,
    /// -2, -3, -4), including k or d: encode a key with secrets only inside an encrypted structure.
    /// </summary>
    /// <param name="writer">The destination.</param>
    /// <exception cref="ArgumentException">The writer is null.</exception>
    /// <exception cref="ObjectDisposedException">The key was erased.</exception>
    /// <exception cref="CborException">The writer's buffer is too small.</exception>
    public void Encode(CborWriter writer)
    {
        if (writer == null)
        {
            throw new ArgumentException("writer must not be null.");
        }

        if (IsDisposed)
        {
            throw new ObjectDisposedException("CoseKey");
        }

        int pairs = 1 + (_kid != null ? 1 : 0) + (HasAlgorithm ? 1 : 0) + (_hasKeyOps ? 1 : 0) + (_baseIv != null ? 1 : 0);
        if (KeyType == CoseKeyType.Symmetric)
        {
            pairs += 1;
        }
        else
        {
            pairs += 2 + (Y != null ? 1 : 0) + (D != null ? 1 : 0);
        }

        writer.WriteStartMap(pairs);
        writer.WriteInt32(CoseKeyLabel.Kty);
        writer.WriteInt32(KeyType);
        if (_kid != null)
        {
            writer.WriteInt32(CoseKeyLabel.Kid);
            writer.WriteByteString(_kid);
        }

        if (HasAlgorithm)
        {
            writer.WriteInt32(CoseKeyLabel.Alg);
            writer.WriteInt32(Algorithm);
        }

        if (_hasKeyOps)
        {
            writer.WriteInt32(CoseKeyLabel.KeyOps);
            int n = 0;
            for (int op = 1; op <= 10; op++)
            {
                if ((_keyOps & (1 << op)) != 0)
                {
                    n++;
                }
            }

            writer.WriteStartArray(n);
            for (int op = 1; op <= 10; op++)
            {
                if ((_keyOps & (1 << op)) != 0)
                {
                    writer.WriteInt32(op);
                }
            }
        }

        if (_baseIv != null)
        {
            writer.WriteInt32(CoseKeyLabel.BaseIv);
            writer.WriteByteString(_baseIv);
        }

        if (KeyType == CoseKeyType.Symmetric)
        {
            writer.WriteInt32(CoseKeyLabel.K);
            writer.WriteByteString(K);
            return;
        }

        writer.WriteInt32(CoseKeyLabel.Crv);
        writer.WriteInt32(Curve);
        writer.WriteInt32(CoseKeyLabel.X);
        writer.WriteByteString(X);
        if (Y != null)
        {
            writer.WriteInt32(CoseKeyLabel.Y);
            writer.WriteByteString(Y);
        }

        if (D != null)
        {
            writer.WriteInt32(CoseKeyLabel.D);
            writer.WriteByteString(D);
        }
    }

    /// <summary>Encodes the key into a new array (see <see cref="Encode(CborWriter)"/>).</summary>
    /// <returns>The encoded COSE_Key.</returns>
    public byte[] Encode()
    {
        // Fixed overhead (heads, kty, crv, alg, key_ops, x/y/d up to 35 bytes each) is under 200 bytes.
        byte[] scratch = new byte[200 + KidLength + (K == null ? 0 : K.Length) + (_baseIv == null ? 0 : _baseIv.Length)];
        CborWriter writer = new CborWriter(scratch);
        Encode(writer);
        byte[] result = new byte[writer.BytesWritten];
        Array.Copy(scratch, 0, result, 0, result.Length);
        Array.Clear(scratch, 0, scratch.Length);
        return result;
    }
}
