using System;

namespace PopIoT.Core.Coap;

/// <summary>
/// Server-side Block1 reassembly (RFC 7959 §2.3, §2.5) of request bodies into bounded buffers, one per peer slot,
/// for one resource. Blocks must arrive in order; the server may force a smaller block size than the client used,
/// by answering with its own SZX (RFC 7959 §2.3, Figure 4). When every slot is busy, a new transfer (NUM 0) takes the
/// slot used least recently. Buffers are allocated by the constructor.
/// </summary>
public sealed class Block1Reassembler
{
    private readonly byte[][] _body;
    private readonly int[] _peer;
    private readonly int[] _length;
    private readonly long[] _lastUse;
    private readonly bool[] _used;
    private readonly int _maxSzx;
    private int _completed = -1;

    /// <summary>Creates the reassembler.</summary>
    /// <param name="slots">Concurrent transfers (different peers).</param>
    /// <param name="maxBodySize">The largest body accepted; larger gets 4.13 with Size1 (RFC 7959 §2.9.3).</param>
    /// <param name="maxSzx">The largest block size exponent this server accepts per block, 0..6.</param>
    public Block1Reassembler(int slots, int maxBodySize, int maxSzx)
    {
        if (slots < 1 || maxBodySize < 1 || maxSzx < 0 || maxSzx > BlockOption.MaxSzx)
        {
            throw new ArgumentOutOfRangeException(nameof(slots));
        }

        _body = new byte[slots][];
        for (int i = 0; i < slots; i++)
        {
            _body[i] = new byte[maxBodySize];
        }

        _peer = new int[slots];
        _length = new int[slots];
        _lastUse = new long[slots];
        _used = new bool[slots];
        _maxSzx = maxSzx;
    }

    /// <summary>The largest body accepted.</summary>
    public int MaxBodySize => _body[0].Length;

    /// <summary>After <see cref="BlockwiseStatus.Complete"/>: the buffer holding the body (valid until the next call).</summary>
    public byte[] BodyBuffer => _completed < 0 ? null : _body[_completed];

    /// <summary>After <see cref="BlockwiseStatus.Complete"/>: the body length.</summary>
    public int BodyLength => _completed < 0 ? 0 : _length[_completed];

    /// <summary>
    /// Takes one request. Continue: <paramref name="response"/> is a 2.31 with the Block1 option to send now.
    /// Complete: the body is in <see cref="BodyBuffer"/>, and <paramref name="response"/> already carries the final
    /// Block1 option (RFC 7959 §2.3); the caller sets the code and the rest. Error: the response holds 4.00, 4.08 or
    /// 4.13 (with Size1). NotBlockwise: no Block1 option; the request payload is the body.
    /// </summary>
    /// <param name="peer">The sender.</param>
    /// <param name="request">The request.</param>
    /// <param name="response">The response being prepared.</param>
    /// <param name="now">The current time, for least-recently-used replacement.</param>
    /// <returns>The status.</returns>
    public BlockwiseStatus Receive(int peer, CoapMessage request, CoapMessage response, long now)
    {
        _completed = -1;
        int max = _body[0].Length;
        uint size1;
        // RFC 7959 §4: a Size1 announcing too large a body can be refused before any data is stored.
        if (request.TryGetUint(CoapOptionNumber.Size1, out size1) && size1 > (uint)max)
        {
            return TooLarge(response, max);
        }

        uint value;
        if (!request.TryGetUint(CoapOptionNumber.Block1, out value))
        {
            if (request.HasOption(CoapOptionNumber.Block1))
            {
                return Fail(response, CoapCode.BadRequest);
            }

            if (request.PayloadLength > max)
            {
                return TooLarge(response, max);
            }

            return BlockwiseStatus.NotBlockwise;
        }

        // RFC 7959 §2.2: SZX 7 is reserved; such a request is a 4.00 Bad Request.
        if (!BlockOption.IsValid(value))
        {
            return Fail(response, CoapCode.BadRequest);
        }

        int szx = BlockOption.Szx(value);
        bool more = BlockOption.More(value);
        int payload = request.PayloadLength;
        // RFC 7959 §2.2: every block but the last carries exactly the block size.
        if (more && payload != BlockOption.Size(szx))
        {
            return Fail(response, CoapCode.BadRequest);
        }

        long offset = BlockOption.Offset(value);
        int slot = FindSlot(peer);
        if (BlockOption.Num(value) == 0)
        {
            if (slot < 0)
            {
                slot = TakeSlot();
            }

            _used[slot] = true;
            _peer[slot] = peer;
            _length[slot] = 0;
        }
        else if (slot < 0 || offset != _length[slot])
        {
            // RFC 7959 §2.9.2: a block out of sequence, or with no transfer started, is 4.08 Request Entity Incomplete.
            return Fail(response, CoapCode.RequestEntityIncomplete);
        }

        if (offset + payload > max)
        {
            _used[slot] = false;
            return TooLarge(response, max);
        }

        if (payload > 0)
        {
            Array.Copy(request.PayloadBuffer, request.PayloadOffset, _body[slot], _length[slot], payload);
        }

        _length[slot] += payload;
        _lastUse[slot] = now;
        if (more)
        {
            // RFC 7959 §2.3: 2.31 Continue echoes NUM; a smaller SZX here makes the client use that size from now on.
            response.Code = CoapCode.Continue;
            response.SetUintOption(CoapOptionNumber.Block1, BlockOption.Encode(BlockOption.Num(value), true, szx > _maxSzx ? _maxSzx : szx));
            return BlockwiseStatus.Continue;
        }

        _used[slot] = false;
        _completed = slot;
        response.SetUintOption(CoapOptionNumber.Block1, BlockOption.Encode(BlockOption.Num(value), false, szx > _maxSzx ? _maxSzx : szx));
        return BlockwiseStatus.Complete;
    }

    private static BlockwiseStatus TooLarge(CoapMessage response, int max)
    {
        // RFC 7959 §2.9.3, §4: 4.13 with Size1 telling the largest acceptable body.
        response.Code = CoapCode.RequestEntityTooLarge;
        response.SetUintOption(CoapOptionNumber.Size1, (uint)max);
        return BlockwiseStatus.Error;
    }

    private static BlockwiseStatus Fail(CoapMessage response, byte code)
    {
        response.Code = code;
        return BlockwiseStatus.Error;
    }

    private int FindSlot(int peer)
    {
        for (int i = 0; i < _used.Length; i++)
        {
            if (_used[i] && _peer[i] == peer)
            {
                return i;
            }
        }

        return -1;
    }

    private int TakeSlot()
    {
        int best = 0;
        for (int i = 0; i < _used.Length; i++)
        {
            if (!_used[i])
            {
                return i;
            }

            if (_lastUse[i] < _lastUse[best])
            {
                best = i;
            }
        }

        return best;
    }
}
