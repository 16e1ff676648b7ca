using System;

using PopIoT.Core.Coap;

namespace PopIoT.Core.Oscore;

/// <summary>
/// Outer block-wise for one OSCORE request on the client (RFC 8613 §4.1.3.4.2, §8.4.1). <see cref="Start"/> keeps a
/// copy of the protected request (after protection: the OSCORE message is what gets fragmented). <see cref="FillNext"/>
/// writes the next message to send: the protected request whole, or its next Outer Block1 block (RFC 7959 §2.5), or
/// the same request again with Outer Block2 NUM N to fetch the next block of a fragmented response (RFC 7959 §2.4: the
/// same options as the initial request plus Block2). <see cref="OnResponse"/> takes each response before OSCORE
/// verification and, when the last Outer Block2 block is in, leaves the whole protected response in it, ready for
/// <see cref="OscoreProcessor.UnprotectResponse"/>. Buffers are allocated by the constructor.
/// </summary>
public sealed class OuterBlockwiseClient
{
    private readonly CoapMessageSnapshot _request;
    private readonly Block1Sender _block1 = new Block1Sender();
    private readonly Block2Assembler _block2;
    private int _block1Szx;
    private int _block2Szx;
    private bool _sendingBlocks;
    private uint _nextBlock2;
    private bool _fetching;

    /// <summary>Creates the helper.</summary>
    /// <param name="maxRequestPayload">The longest protected request payload (ciphertext) it can keep.</param>
    /// <param name="maxUnfragmentedSize">MAX_UNFRAGMENTED_SIZE: the longest protected response payload it reassembles.</param>
    public OuterBlockwiseClient(int maxRequestPayload, int maxUnfragmentedSize)
    {
        _request = new CoapMessageSnapshot(CoapMessage.DefaultOptionCapacity, 512, maxRequestPayload);
        _block2 = new Block2Assembler(maxUnfragmentedSize);
    }

    /// <summary>Whether the protected request goes in Outer Block1 blocks.</summary>
    public bool IsFragmenting => _sendingBlocks;

    /// <summary>
    /// Starts a request: keeps a copy of <paramref name="protectedRequest"/>. With <paramref name="block1Szx"/> ≥ 0 a
    /// payload longer than that block size, or a message longer than <paramref name="maxMessageSize"/>, goes in Outer
    /// Block1 blocks; with <paramref name="block2Szx"/> ≥ 0 the first request asks for Outer Block2 blocks of that size
    /// (RFC 7959 §2.4 early negotiation). Returns false when the request is too large to keep.
    /// </summary>
    /// <param name="protectedRequest">The request as <see cref="OscoreProcessor.ProtectRequest"/> left it.</param>
    /// <param name="block1Szx">Outer Block1 size exponent, or -1 to fragment only what exceeds <paramref name="maxMessageSize"/> (then in the largest blocks that fit it).</param>
    /// <param name="block2Szx">Outer Block2 size exponent to ask for, or -1.</param>
    /// <param name="maxMessageSize">The largest datagram the host sends (<see cref="CoapSettings.MaxMessageSize"/>).</param>
    /// <returns>True when started.</returns>
    public bool Start(CoapMessage protectedRequest, int block1Szx, int block2Szx, int maxMessageSize)
    {
        if (block1Szx > BlockOption.MaxSzx || block2Szx > BlockOption.MaxSzx)
        {
            throw new ArgumentOutOfRangeException(nameof(block1Szx));
        }

        _fetching = false;
        _block2.Reset();
        _block2Szx = block2Szx;
        _nextBlock2 = 0;
        if (!_request.Take(protectedRequest))
        {
            _sendingBlocks = false;
            return false;
        }

        _request.Message.RemoveOption(CoapOptionNumber.Block1);
        _request.Message.RemoveOption(CoapOptionNumber.Block2);
        _request.Message.RemoveOption(CoapOptionNumber.Size1);
        int payload = protectedRequest.PayloadLength;
        bool oversized = protectedRequest.GetSerializedLength() > maxMessageSize;
        _block1Szx = block1Szx >= 0 ? block1Szx : OuterBlockSize.Fit(protectedRequest, maxMessageSize, BlockOption.MaxSzx);
        _sendingBlocks = (block1Szx >= 0 && payload > BlockOption.Size(block1Szx)) || oversized;
        if (_sendingBlocks)
        {
            CoapMessage m = _request.Message;
            _block1.Start(m.PayloadBuffer, m.PayloadOffset, m.PayloadLength, _block1Szx);
        }

        return true;
    }

    /// <summary>
    /// Writes the next message to send into <paramref name="request"/> (header, token, options and payload by
    /// reference to the kept copy, plus the Outer Block options). The caller sets the token of the transfer and sends it.
    /// </summary>
    /// <param name="request">A message with enough option slots.</param>
    public void FillNext(CoapMessage request)
    {
        request.CopyFrom(_request.Message);
        if (_fetching)
        {
            // RFC 7959 §2.4: the same request, Block2 NUM N with the size the server used; M is 0 in a request.
            request.AddUintOption(CoapOptionNumber.Block2, _nextBlock2);
            return;
        }

        if (_sendingBlocks)
        {
            _block1.FillNext(request);
        }

        if (_block2Szx >= 0)
        {
            request.AddUintOption(CoapOptionNumber.Block2, BlockOption.Encode(0, false, _block2Szx));
        }
    }

    /// <summary>
    /// Takes a response before OSCORE verification. Continue: send <see cref="FillNext"/> again (an Outer 2.31 for a
    /// Block1 block, or the next Outer Block2 block to fetch). Complete: the response now holds the whole protected
    /// message (Outer Block options removed, payload in this helper's buffer until the next <see cref="Start"/>).
    /// NotBlockwise: the response is whole as received. Error: a 2.31 without a valid Block1, Outer Block2 out of order or
    /// larger than MAX_UNFRAGMENTED_SIZE.
    /// </summary>
    /// <param name="response">The response as parsed.</param>
    /// <returns>The status.</returns>
    public BlockwiseStatus OnResponse(CoapMessage response)
    {
        if (_sendingBlocks)
        {
            if (response.Code == CoapCode.Continue)
            {
                // RFC 7959 §2.3: 2.31 asks for the next block (maybe smaller); it is Outer, so never protected.
                return _block1.OnResponse(response) == BlockwiseStatus.Continue ? BlockwiseStatus.Continue : BlockwiseStatus.Error;
            }

            // Any other code is the final response (or an error) for the whole OSCORE request.
            _sendingBlocks = false;
        }

        response.RemoveOption(CoapOptionNumber.Block1);
        if (!response.HasOption(CoapOptionNumber.Oscore) || !response.HasOption(CoapOptionNumber.Block2))
        {
            if (_fetching)
            {
                // A later block must come from the same fragmented protected response.
                return BlockwiseStatus.Error;
            }

            return BlockwiseStatus.NotBlockwise;
        }

        // RFC 8613 §8.4.1 step A: collect the Outer Block2 blocks (RFC 7959 §2.4), then verify the whole message.
        BlockwiseStatus s = _block2.Append(response);
        if (s == BlockwiseStatus.Continue)
        {
            _fetching = true;
            _nextBlock2 = _block2.NextBlock;
            return BlockwiseStatus.Continue;
        }

        if (s == BlockwiseStatus.Complete || s == BlockwiseStatus.NotBlockwise)
        {
            _fetching = false;
            response.RemoveOption(CoapOptionNumber.Block2);
            response.RemoveOption(CoapOptionNumber.Size2);
            response.SetPayload(_block2.BodyBuffer, 0, _block2.BodyLength);
            return BlockwiseStatus.Complete;
        }

        return BlockwiseStatus.Error;
    }
}
