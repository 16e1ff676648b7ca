using System;
using PopIoT.Core.Cbor;

namespace PopIoT.Core.Cose;

/// <summary>CBOR tags of COSE messages (RFC 9052 §2, Table 1) and of the CWT (RFC 8392 §6).</summary>
public static class CoseTag
{
    /// <summary>COSE_Encrypt0.</summary>
    public const int Encrypt0 = 16;

    /// <summary>COSE_Mac0.</summary>
    public const int Mac0 = 17;

    /// <summary>COSE_Sign1.</summary>
    public const int Sign1 = 18;

    /// <summary>CWT (RFC 8392 §6): an optional outer tag around a tagged COSE message.</summary>
    public const int Cwt = 61;

    /// <summary>
    /// If the data starts with the CWT tag 61 (RFC 8392 §6: <c>d8 3d</c>), returns the window after it;
    /// otherwise returns the input window unchanged. COSE verification itself accepts only the
    /// message's own tag, so a CWT caller peels tag 61 first. Never throws for bad data.
    /// </summary>
    /// <param name="buffer">The data.</param>
    /// <param name="offset">Where it starts.</param>
    /// <param name="count">Its length.</param>
    /// <param name="innerOffset">Where the COSE message starts.</param>
    /// <param name="innerCount">Its length.</param>
    /// <returns>True when a tag 61 was removed.</returns>
    /// <exception cref="ArgumentException">The window does not fit <paramref name="buffer"/>.</exception>
    public static bool PeelCwtTag(byte[] buffer, int offset, int count, out int innerOffset, out int innerCount)
    {
        if (buffer == null || offset < 0 || count < 0 || count > buffer.Length - offset)
        {
            throw new ArgumentException("The window does not fit the buffer.");
        }

        // RFC 8949 §3: tag 61 is major type 6 with a one-byte argument, 0xd8 0x3d in preferred form.
        if (count >= 2 && buffer[offset] == (byte)(((int)CborMajorType.Tag << 5) | 24) && buffer[offset + 1] == Cwt)
        {
            innerOffset = offset + 2;
            innerCount = count - 2;
            return true;
        }

        innerOffset = offset;
        innerCount = count;
        return false;
    }
}
