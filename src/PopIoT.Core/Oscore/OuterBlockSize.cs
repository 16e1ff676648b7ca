using PopIoT.Core.Coap;

namespace PopIoT.Core.Oscore;

/// <summary>
/// The Outer block size for an OSCORE message that does not fit a datagram (RFC 8613 §4.1.3.4.2): the largest
/// RFC 7959 block (2**(SZX+4) bytes) such that a block, the message's options and the Block and Size options still fit.
/// </summary>
public static class OuterBlockSize
{
    // Block2 and Block1 (≤ 5 bytes each with header and extended delta) and Size1/Size2 (≤ 6 bytes).
    private const int BlockOptionsOverhead = 16;

    /// <summary>The largest SZX, at most <paramref name="maxSzx"/>, whose blocks of <paramref name="message"/> fit <paramref name="maxMessageSize"/>; 0 (16 bytes) when none does.</summary>
    /// <param name="message">The whole protected message.</param>
    /// <param name="maxMessageSize">The largest datagram.</param>
    /// <param name="maxSzx">The largest SZX allowed, 0..6.</param>
    /// <returns>The SZX.</returns>
    public static int Fit(CoapMessage message, int maxMessageSize, int maxSzx)
    {
        int head = message.GetSerializedLength() - message.PayloadLength - (message.PayloadLength > 0 ? 1 : 0);
        int room = maxMessageSize - head - 1 - BlockOptionsOverhead;
        int szx = maxSzx;
        while (szx > 0 && BlockOption.Size(szx) > room)
        {
            szx--;
        }

        return szx;
    }
}
