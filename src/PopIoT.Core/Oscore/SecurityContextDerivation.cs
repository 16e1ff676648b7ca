using System;

using PopIoT.Core.Crypto;

namespace PopIoT.Core.Oscore;

/// <summary>
/// The key derivation of RFC 8613 §3.2.1: Sender Key, Recipient Key and Common IV are
/// HKDF-SHA256(salt = Master Salt, IKM = Master Secret, info, L), with info the CBOR array
/// [id, id_context, alg_aead, type, L]. Exposed so the tests can check the info bytes and outputs of Appendix C.1–C.3.
/// </summary>
public static class SecurityContextDerivation
{
    /// <summary>The largest 'info' this encoder produces: 1 + (2 + 7) + (2 + 255) + 2 + 4 + 2 bytes.</summary>
    public const int MaxInfoLength = 275;

    /// <summary>
    /// Encodes info = [id : bstr, id_context : bstr / nil, alg_aead : int, type : tstr, L : uint] (RFC 8613 §3.2.1).
    /// </summary>
    /// <param name="id">The Sender ID or Recipient ID; empty for the Common IV.</param>
    /// <param name="idContext">The ID Context, or null for nil.</param>
    /// <param name="algorithm">The AEAD algorithm (a small positive COSE identifier).</param>
    /// <param name="isKey">True for "Key", false for "IV".</param>
    /// <param name="length">L, the output length.</param>
    /// <param name="info">The array that receives the encoding (<see cref="MaxInfoLength"/> bytes suffice).</param>
    /// <param name="offset">Where to write.</param>
    /// <returns>The encoded length.</returns>
    public static int EncodeInfo(byte[] id, byte[] idContext, int algorithm, bool isKey, int length, byte[] info, int offset)
    {
        return EncodeInfo(id, 0, id.Length, idContext, 0, idContext == null ? -1 : idContext.Length, algorithm, isKey, length, info, offset);
    }

    /// <summary>The same with ranges; an <paramref name="idContextLength"/> of -1 encodes nil.</summary>
    internal static int EncodeInfo(
        byte[] id, int idOffset, int idLength, byte[] idContext, int idContextOffset, int idContextLength, int algorithm, bool isKey, int length, byte[] info, int offset)
    {
        int p = offset;
        info[p++] = 0x85;
        p = WriteBstr(id, idOffset, idLength, info, p);
        if (idContextLength < 0)
        {
            info[p++] = 0xF6;
        }
        else
        {
            p = WriteBstr(idContext, idContextOffset, idContextLength, info, p);
        }

        p = WriteUint(algorithm, info, p);
        if (isKey)
        {
            // RFC 8613 §3.2.1: type is the text string "Key" or "IV".
            info[p++] = 0x63;
            info[p++] = (byte)'K';
            info[p++] = (byte)'e';
            info[p++] = (byte)'y';
        }
        else
        {
            info[p++] = 0x62;
            info[p++] = (byte)'I';
            info[p++] = (byte)'V';
        }

        p = WriteUint(length, info, p);
        return p - offset;
    }

    /// <summary>Derives one parameter (a key or the Common IV) as RFC 8613 §3.2.1 specifies.</summary>
    /// <param name="hkdf">An HKDF-SHA256 instance (RFC 5869).</param>
    /// <param name="masterSecret">The Master Secret.</param>
    /// <param name="masterSalt">The Master Salt; empty or null for the default (empty) salt.</param>
    /// <param name="id">The Sender ID or Recipient ID; empty for the Common IV.</param>
    /// <param name="idContext">The ID Context, or null.</param>
    /// <param name="algorithm">The AEAD algorithm.</param>
    /// <param name="isKey">True for a key, false for the Common IV.</param>
    /// <param name="output">The array that receives <paramref name="length"/> bytes.</param>
    /// <param name="length">L: the key length or the nonce length.</param>
    public static void Derive(
        Hkdf hkdf, byte[] masterSecret, byte[] masterSalt, byte[] id, byte[] idContext, int algorithm, bool isKey, byte[] output, int length)
    {
        byte[] info = new byte[MaxInfoLength];
        int n = EncodeInfo(id, idContext, algorithm, isKey, length, info, 0);
        int saltLength = masterSalt == null ? 0 : masterSalt.Length;
        hkdf.DeriveKey(masterSalt, 0, saltLength, masterSecret, 0, masterSecret.Length, info, 0, n, output, 0, length);
    }

    /// <summary>Writes a CBOR byte string head and body (RFC 8949 §3.1, lengths below 65536).</summary>
    /// <param name="source">The bytes.</param>
    /// <param name="offset">Where they start.</param>
    /// <param name="length">How many.</param>
    /// <param name="destination">The output.</param>
    /// <param name="p">Where to write.</param>
    /// <returns>The position after the byte string.</returns>
    internal static int WriteBstr(byte[] source, int offset, int length, byte[] destination, int p)
    {
        if (length < 24)
        {
            destination[p++] = (byte)(0x40 | length);
        }
        else if (length < 256)
        {
            destination[p++] = 0x58;
            destination[p++] = (byte)length;
        }
        else
        {
            destination[p++] = 0x59;
            destination[p++] = (byte)(length >> 8);
            destination[p++] = (byte)length;
        }

        if (length > 0)
        {
            Array.Copy(source, offset, destination, p, length);
        }

        return p + length;
    }

    /// <summary>Writes a CBOR unsigned integer below 65536 (RFC 8949 §3.1).</summary>
    /// <param name="value">The value.</param>
    /// <param name="destination">The output.</param>
    /// <param name="p">Where to write.</param>
    /// <returns>The position after it.</returns>
    internal static int WriteUint(int value, byte[] destination, int p)
    {
        if (value < 24)
        {
            destination[p++] = (byte)value;
        }
        else if (value < 256)
        {
            destination[p++] = 0x18;
            destination[p++] = (byte)value;
        }
        else
        {
            destination[p++] = 0x19;
            destination[p++] = (byte)(value >> 8);
            destination[p++] = (byte)value;
        }

        return p;
    }
}
