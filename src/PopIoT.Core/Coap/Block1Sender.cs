using System;

namespace PopIoT.Core.Coap;

/// <summary>
/// Client-side Block1 (RFC 7959 §2.5): sends a request body in blocks. Call <see cref="FillNext"/> on a copy of the
/// request, send it, and pass each response to <see cref="OnResponse"/> until it says Complete. A 2.31 Continue with a
/// smaller SZX makes the following blocks smaller (RFC 7959 §2.3). The body is referenced, not copied.
/// </summary>
public sealed class Block1Sender
{
    private byte[] _body;
    private int _bodyOffset;
    private int _length;
    private int _szx;
    private int _sent;
    private int _inFlight;

    /// <summary>Where the next block starts in the body.</summary>
    public int Position => _sent;

    /// <summary>Starts a transfer.</summary>
    /// <param name="body">The buffer holding the body (keep it unchanged until Complete).</param>
    /// <param name="offset">Where the body starts.</param>
    /// <param name="length">The body length.</param>
    /// <param name="szx">The block size exponent to start with, 0..6.</param>
    public void Start(byte[] body, int offset, int length, int szx)
    {
        if (szx < 0 || szx > BlockOption.MaxSzx || body == null || offset < 0 || length < 0 || length > body.Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(szx));
        }

        _body = body;
        _bodyOffset = offset;
        _length = length;
        _szx = szx;
        _sent = 0;
        _inFlight = 0;
    }

    /// <summary>
    /// Puts the next block into <paramref name="request"/>: payload (by reference) and Block1, plus Size1 with the total
    /// on the first block (RFC 7959 §4). A body that fits one block is sent without Block1.
    /// </summary>
    /// <param name="request">The request (a fresh copy of the original, without a token so the layer assigns one).</param>
    public void FillNext(CoapMessage request)
    {
        int size = BlockOption.Size(_szx);
        int n = _length - _sent;
        bool more = n > size;
        if (more)
        {
            n = size;
        }

        request.RemoveOption(CoapOptionNumber.Block1);
        if (_sent > 0 || more)
        {
            request.AddUintOption(CoapOptionNumber.Block1, BlockOption.Encode(_sent >> (_szx + 4), more, _szx));
            if (_sent == 0)
            {
                request.SetUintOption(CoapOptionNumber.Size1, (uint)_length);
            }
        }

        request.SetPayload(_body, _bodyOffset + _sent, n);
        _inFlight = n;
    }

    /// <summary>Takes the response to the last block: Continue (send the next), Complete, or Error (a failure code or a bad Block1).</summary>
    /// <param name="response">The response.</param>
    /// <returns>The status.</returns>
    public BlockwiseStatus OnResponse(CoapMessage response)
    {
        if (response.Code == CoapCode.Continue)
        {
            uint value;
            if (!response.TryGetUint(CoapOptionNumber.Block1, out value) || !BlockOption.IsValid(value))
            {
                return BlockwiseStatus.Error;
            }

            _sent += _inFlight;
            _inFlight = 0;
            // RFC 7959 §2.3: the server's smaller SZX applies to the remaining blocks; the offset stays a multiple of it.
            int szx = BlockOption.Szx(value);
            if (szx < _szx)
            {
                _szx = szx;
            }

            return _sent < _length ? BlockwiseStatus.Continue : BlockwiseStatus.Error;
        }

        if (CoapCode.ClassOf(response.Code) == 2 && _sent + _inFlight == _length)
        {
            _sent = _length;
            return BlockwiseStatus.Complete;
        }

        return BlockwiseStatus.Error;
    }
}
