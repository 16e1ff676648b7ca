namespace PopIoT.Core.Oscore;

/// <summary>The AEAD nonce of RFC 8613 §5.2, built from an ID, a Partial IV and the Common IV.</summary>
public static class OscoreNonce
{
    /// <summary>The longest Partial IV: 5 bytes (RFC 8613 §5.2: the Partial IV is padded to 5 bytes).</summary>
    public const int MaxPartialIvLength = 5;

    /// <summary>
    /// Computes the nonce (RFC 8613 §5.2): the size of ID_PIV (1 byte), ID_PIV left-padded to nonce length − 6 bytes,
    /// and the Partial IV left-padded to 5 bytes, XORed with the Common IV. Allocates nothing.
    /// </summary>
    /// <param name="commonIv">The Common IV; its count is the AEAD nonce length (13 for AES-CCM-16-*).</param>
    /// <param name="id">ID_PIV (the Sender ID of the endpoint that made the Partial IV), at most nonce length − 6 bytes.</param>
    /// <param name="partialIv">The Partial IV, 1..5 bytes.</param>
    /// <param name="nonce">The array that receives the nonce.</param>
    /// <param name="nonceOffset">Where to write it.</param>
    public static void Compute(ByteRange commonIv, ByteRange id, ByteRange partialIv, byte[] nonce, int nonceOffset)
    {
        int nonceLength = commonIv.Count;
        int idLength = id.Count;
        int pivLength = partialIv.Count;
        for (int i = 0; i < nonceLength; i++)
        {
            nonce[nonceOffset + i] = 0;
        }

        nonce[nonceOffset] = (byte)idLength;
        int idEnd = nonceOffset + nonceLength - MaxPartialIvLength;
        for (int i = 0; i < idLength; i++)
        {
            nonce[idEnd - idLength + i] = id[i];
        }

        int end = nonceOffset + nonceLength;
        for (int i = 0; i < pivLength; i++)
        {
            nonce[end - pivLength + i] = partialIv[i];
        }

        for (int i = 0; i < nonceLength; i++)
        {
            nonce[nonceOffset + i] ^= commonIv[i];
        }
    }

    /// <summary>Encodes a sequence number as a Partial IV: big-endian in the fewest bytes, 0 as one zero byte (RFC 8613 §6.1).</summary>
    /// <param name="sequenceNumber">0 .. 2^40 − 1.</param>
    /// <param name="destination">The output.</param>
    /// <param name="offset">Where to write.</param>
    /// <returns>The length, 1..5.</returns>
    public static int EncodePartialIv(long sequenceNumber, byte[] destination, int offset)
    {
        int n = 1;
        while (n < MaxPartialIvLength && (sequenceNumber >> (8 * n)) != 0)
        {
            n++;
        }

        for (int i = 0; i < n; i++)
        {
            destination[offset + i] = (byte)(sequenceNumber >> (8 * (n - 1 - i)));
        }

        return n;
    }

    /// <summary>Reads a Partial IV as a number.</summary>
    /// <param name="source">The bytes.</param>
    /// <param name="offset">Where they start.</param>
    /// <param name="length">1..5.</param>
    /// <returns>The sequence number.</returns>
    public static long DecodePartialIv(byte[] source, int offset, int length)
    {
        long v = 0;
        for (int i = 0; i < length; i++)
        {
            v = (v << 8) | source[offset + i];
        }

        return v;
    }
}
