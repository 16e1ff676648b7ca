using System;

namespace PopIoT.Core.Coap;

/// <summary>
/// Client-side Block2 reassembly (RFC 7959 §2.4, §3.1) into a bounded buffer allocated at construction. After each
/// response, send the original request again with Block2 = <see cref="NextBlock"/> until Complete.
/// </summary>
public sealed class Block2Assembler
{
    private readonly byte[] _body;
    private int _length;
    private uint _next;

    /// <summary>Creates the assembler.</summary>
    /// <param name="maxBodySize">The largest body it can hold.</param>
    public Block2Assembler(int maxBodySize)
    {
        if (maxBodySize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBodySize));
        }

        _body = new byte[maxBodySize];
    }

    /// <summary>The buffer holding the body received so far.</summary>
    public byte[] BodyBuffer => _body;

    /// <summary>The number of body bytes received so far.</summary>
    public int BodyLength => _length;

    /// <summary>After Continue: the Block2 value to put in the next request.</summary>
    public uint NextBlock => _next;

    /// <summary>Starts a new transfer.</summary>
    public void Reset()
    {
        _length = 0;
        _next = 0;
    }

    /// <summary>
    /// Takes one response. Its payload must start where the body so far ends (RFC 7959 §2.4; a server may answer with a
    /// smaller block size than asked, which the next request then uses). Returns NotBlockwise (no Block2: the payload is
    /// the whole body, copied), Continue, Complete, or Error (out of order, reserved SZX, too large, or an error code).
    /// </summary>
    /// <param name="response">A response to the request.</param>
    /// <returns>The status.</returns>
    public BlockwiseStatus Append(CoapMessage response)
    {
        if (CoapCode.ClassOf(response.Code) != 2)
        {
            return BlockwiseStatus.Error;
        }

        uint value;
        if (!response.TryGetUint(CoapOptionNumber.Block2, out value))
        {
            if (response.HasOption(CoapOptionNumber.Block2) || !Copy(response, 0))
            {
                return BlockwiseStatus.Error;
            }

            return BlockwiseStatus.NotBlockwise;
        }

        if (!BlockOption.IsValid(value) || BlockOption.Offset(value) != _length)
        {
            return BlockwiseStatus.Error;
        }

        int szx = BlockOption.Szx(value);
        bool more = BlockOption.More(value);
        if ((more && response.PayloadLength != BlockOption.Size(szx)) || !Copy(response, _length))
        {
            return BlockwiseStatus.Error;
        }

        if (!more)
        {
            return BlockwiseStatus.Complete;
        }

        _next = BlockOption.Encode(_length >> (szx + 4), false, szx);
        return BlockwiseStatus.Continue;
    }

    private bool Copy(CoapMessage response, int at)
    {
        int n = response.PayloadLength;
        if (n > _body.Length - at)
        {
            return false;
        }

        if (n > 0)
        {
            Array.Copy(response.PayloadBuffer, response.PayloadOffset, _body, at, n);
        }

        _length = at + n;
        return true;
    }
}
