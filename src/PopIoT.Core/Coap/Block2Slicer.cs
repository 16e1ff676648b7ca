namespace PopIoT.Core.Coap;

/// <summary>
/// Server-side Block2 (RFC 7959 §2.4): cuts the block a request asks for out of a response body. Stateless: the
/// application produces the same body for every block request (RFC 7959 §2.4 expects a stable representation, or an ETag).
/// </summary>
public static class Block2Slicer
{
    /// <summary>
    /// Puts the requested block of the body into <paramref name="response"/> (payload by reference, plus Block2, and
    /// Size2 on block 0, RFC 7959 §4). The block size is the smaller of the client's SZX and <paramref name="maxSzx"/>;
    /// a smaller server size keeps the byte offset the client asked for (RFC 7959 §2.4). Without a Block2 option a body
    /// that fits one block is sent whole (NotBlockwise). Returns Error with 4.00 (SZX 7) or 4.02 (block past the end)
    /// set in the response. The response code is left to the caller otherwise.
    /// </summary>
    /// <param name="body">The buffer holding the representation.</param>
    /// <param name="offset">Where it starts.</param>
    /// <param name="length">Its length.</param>
    /// <param name="request">The request (its Block2 option, if any, is read).</param>
    /// <param name="response">The response to fill.</param>
    /// <param name="maxSzx">The largest block size exponent the server sends, 0..6.</param>
    /// <returns>NotBlockwise, Continue (more blocks follow), Complete (the last block) or Error.</returns>
    public static BlockwiseStatus Fill(byte[] body, int offset, int length, CoapMessage request, CoapMessage response, int maxSzx)
    {
        uint value;
        bool asked = request.TryGetUint(CoapOptionNumber.Block2, out value);
        if (!asked && request.HasOption(CoapOptionNumber.Block2))
        {
            response.Code = CoapCode.BadRequest;
            return BlockwiseStatus.Error;
        }

        if (!asked)
        {
            if (length <= BlockOption.Size(maxSzx))
            {
                response.SetPayload(body, offset, length);
                return BlockwiseStatus.NotBlockwise;
            }

            value = BlockOption.Encode(0, false, maxSzx);
        }

        // RFC 7959 §2.2: SZX 7 is reserved.
        if (!BlockOption.IsValid(value))
        {
            response.Code = CoapCode.BadRequest;
            return BlockwiseStatus.Error;
        }

        int szx = BlockOption.Szx(value);
        if (szx > maxSzx)
        {
            szx = maxSzx;
        }

        long start = BlockOption.Offset(value);
        if (start >= length && !(start == 0 && length == 0))
        {
            // No such block: the request names an option value the server cannot satisfy.
            response.Code = CoapCode.BadOption;
            return BlockwiseStatus.Error;
        }

        int size = BlockOption.Size(szx);
        int num = (int)(start / size);
        int n = length - (int)start;
        bool more = n > size;
        if (more)
        {
            n = size;
        }

        response.SetUintOption(CoapOptionNumber.Block2, BlockOption.Encode(num, more, szx));
        if (num == 0)
        {
            response.SetUintOption(CoapOptionNumber.Size2, (uint)length);
        }

        response.SetPayload(body, offset + (int)start, n);
        return more ? BlockwiseStatus.Continue : BlockwiseStatus.Complete;
    }
}
