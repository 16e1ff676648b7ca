using System;

namespace PopIoT.Core.Oscore;

/// <summary>
/// The key derivation of RFC 8613 §3.2.1: Sender Key, Recipient Key and Common IV are
/// HKDF-SHA256(salt = Master Salt, IKM = Master Secret, info, L), with info the CBOR array
/// [id, id_context, alg_aead, type, L]. Exposed so the tests can check the info bytes of Appendix C.1–C.3; the
/// derivation itself is <see cref="PopIoT.Core.Crypto.Hkdf.DeriveKey"/> over them.
/// </summary>
public static class SecurityContextDerivation
{
    /// <summary>The largest 'info' this encoder produces: 1 + (2 + 7) + (2 + 255) + 2 + 4 + 2 bytes.</summary>
    public const int MaxInfoLength = 275;

    /// <summary>
    /// Encodes info = [id : bstr, id_context : bstr / nil, alg_aead : int, type : tstr, L : uint] (RFC 8613 §3.2.1).
    /// </summary>
    /// <param name="id">The Sender ID or Recipient ID; empty for the Common IV.</param>
    /// <param name="idContext">The ID Context; a range over no buffer (<c>default</c>, or <see cref="ByteRange.Of"/>(null)) encodes nil.</param>
    /// <param name="algorithm">The AEAD algorithm (a small positive COSE identifier).</param>
    /// <param name="isKey">True for "Key", false for "IV".</param>
    /// <param name="length">L, the output length.</param>
    /// <param name="info">The array that receives the encoding (<see cref="MaxInfoLength"/> bytes suffice).</param>
    /// <param name="offset">Where to write.</param>
    /// <returns>The encoded length.</returns>
    public static int EncodeInfo(ByteRange id, ByteRange idContext, int algorithm, bool isKey, int length, byte[] info, int offset)
    {
        int p = offset;
        info[p++] = 0x85;
        p = WriteBstr(id.Buffer, id.Offset, id.Count, info, p);
        if (idContext.Buffer == null)
        {
            info[p++] = 0xF6;
        }
        else
        {
            p = WriteBstr(idContext.Buffer, idContext.Offset, idContext.Count, info, p);
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

    /// <summary>
    /// Throws <see cref="ArgumentException"/> when inputs could not make a context (so a caller can check before it erases
    /// anything). A context made with its own provider may also use A128GCM, A256GCM and ChaCha20/Poly1305 when the
    /// provider has them (<see cref="OscoreAead.CreateCipher"/> says so); a table slot borrows the engine's AES-CCM and cannot.
    /// </summary>
    internal static void CheckInputs(int algorithm, ByteRange senderId, ByteRange recipientId, int idContextLength, bool withProvider)
    {
        // RFC 9053 §4.2: AES-CCM-16-64-128 (10), -16-64-256 (11), -16-128-128 (30), -16-128-256 (31); §4.1, §4.3.
        if (!OscoreAead.IsAesCcm(algorithm) && !(withProvider && OscoreAead.IsOptional(algorithm)))
        {
            throw new ArgumentException("Unsupported OSCORE AEAD algorithm " + algorithm.ToString() + ".");
        }

        // RFC 8613 §3.3: an ID is at most nonce length − 6 bytes long.
        int maxId = OscoreAead.NonceLength(algorithm) - 6;
        if (senderId.Count > maxId || recipientId.Count > maxId)
        {
            throw new ArgumentException("With AEAD algorithm " + algorithm.ToString() + ", Sender and Recipient IDs are at most " + maxId.ToString() + " bytes (RFC 8613 §3.3).");
        }

        // RFC 8613 §3.3: the Sender ID must differ from the Recipient ID, or the two directions would share nonces.
        if (BytesEqual(senderId.Buffer, senderId.Offset, senderId.Count, recipientId.Buffer, recipientId.Offset, recipientId.Count))
        {
            throw new ArgumentException("The Sender ID and the Recipient ID must differ (RFC 8613 §3.3).");
        }

        if (idContextLength > SecurityContext.MaxIdContextLength)
        {
            throw new ArgumentException("The ID Context is longer than " + SecurityContext.MaxIdContextLength.ToString() + " bytes.");
        }
    }

    /// <summary>Whether two byte ranges are equal (IDs, ID Contexts and key ids: public values, so not in constant time).</summary>
    internal static bool BytesEqual(byte[] a, int aOffset, int aLength, byte[] b, int bOffset, int bLength)
    {
        if (aLength != bLength)
        {
            return false;
        }

        for (int i = 0; i < aLength; i++)
        {
            if (a[aOffset + i] != b[bOffset + i])
            {
                return false;
            }
        }

        return true;
    }
}
