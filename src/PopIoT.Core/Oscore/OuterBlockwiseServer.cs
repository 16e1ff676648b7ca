using System;

using PopIoT.Core.Coap;

namespace PopIoT.Core.Oscore;

/// <summary>
/// Outer block-wise on the server (RFC 8613 §4.1.3.4.2, §8.2.1, §8.3): an <see cref="ICoapRequestHandler"/> between
/// the <see cref="MessageLayer"/> and <see cref="OscoreServer"/>. Requests without the OSCORE option pass straight
/// through (their block-wise, if any, is the application's).
/// <list type="bullet">
/// <item>An OSCORE request carrying Outer Block1 is collected per RFC 7959 §2.5 (2.31 Continue per block, the block
/// echoed) into a buffer of MAX_UNFRAGMENTED_SIZE bytes; only the whole OSCORE message reaches verification (§8.2.1
/// step A). A block out of order or missing gets 4.08, a message above MAX_UNFRAGMENTED_SIZE gets 4.13 with Size1
/// (RFC 7959 §2.9) and is discarded (§4.1.3.4.2): it never reaches OSCORE. Transfers are keyed by (peer, OSCORE option
/// value), which every block of one OSCORE message repeats, so concurrent transfers from one peer do not mix.</item>
/// <item>A protected response whose payload is larger than the block size the request asked for with an Outer Block2
/// (RFC 7959 §2.4 early negotiation), or whose message would not fit <c>maxMessageSize</c>, is kept whole and sent in
/// Outer Block2 blocks. The client asks for block N by repeating the same OSCORE request with Outer Block2 NUM N
/// (RFC 7959 §2.4: "the same options as the initial request"); those repeats are served from the kept response and
/// never reach OSCORE (the repeated Partial IV would be a replay), so a response is protected once.</item>
/// </list>
/// Outer Block options are not integrity protected: a forged block only makes the reassembled message fail
/// verification (4.00 Decryption failed), and a forged follow-up only gets slices of ciphertext. Every buffer is
/// allocated by the constructor; nothing is allocated per request.
/// </summary>
public sealed class OuterBlockwiseServer : ICoapRequestHandler
{
    // The OSCORE option value of a request names its exchange: kid, kid context and Partial IV (RFC 8613 §6.1).
    private const int MaxKeyLength = 64;
    private const int KeptOptions = 8;
    private const int KeptOptionBytes = 128;

    private readonly ICoapRequestHandler _inner;
    private readonly Block1Reassembler _block1;
    private readonly int _maxSzx;
    private readonly int _maxMessageSize;
    private readonly CoapMessageSnapshot[] _kept;
    private readonly byte[][] _key;
    private readonly int[] _keyLength;
    private readonly int[] _peer;
    private readonly long[] _lastUse;
    private readonly byte[][] _transferKey;
    private readonly int[] _transferKeyLength;
    private readonly int[] _transferPeer;
    private readonly int[] _transferId;
    private readonly long[] _transferUse;
    private readonly byte[] _requestKey = new byte[MaxKeyLength];
    private int _nextTransferId;
    private readonly CoapMessage _ask = new CoapMessage(1, 4);
    private long _clock;

    /// <summary>Creates the stage.</summary>
    /// <param name="inner">Where whole OSCORE messages go: the <see cref="OscoreServer"/>.</param>
    /// <param name="slots">Outer Block1 transfers and kept Outer Block2 responses at once (each its own set; the least recently used is replaced).</param>
    /// <param name="maxUnfragmentedSize">MAX_UNFRAGMENTED_SIZE (RFC 8613 §4.1.3.4.2): the largest OSCORE payload reassembled or kept.</param>
    /// <param name="maxSzx">The largest Outer block size exponent, 0..6 (RFC 7959 §2.2).</param>
    /// <param name="maxMessageSize">The largest datagram the host sends (<see cref="CoapSettings.MaxMessageSize"/>); a protected response above it is fragmented even when not asked.</param>
    public OuterBlockwiseServer(ICoapRequestHandler inner, int slots, int maxUnfragmentedSize, int maxSzx, int maxMessageSize)
    {
        if (inner == null)
        {
            throw new ArgumentNullException(nameof(inner));
        }

        if (slots < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(slots));
        }

        if (maxUnfragmentedSize < 16)
        {
            throw new ArgumentOutOfRangeException(nameof(maxUnfragmentedSize));
        }

        if (maxSzx < 0 || maxSzx > BlockOption.MaxSzx)
        {
            throw new ArgumentOutOfRangeException(nameof(maxSzx));
        }

        if (maxMessageSize < 16)
        {
            throw new ArgumentOutOfRangeException(nameof(maxMessageSize));
        }

        _inner = inner;
        _block1 = new Block1Reassembler(slots, maxUnfragmentedSize, maxSzx);
        _maxSzx = maxSzx;
        _maxMessageSize = maxMessageSize;
        _kept = new CoapMessageSnapshot[slots];
        _key = new byte[slots][];
        for (int i = 0; i < slots; i++)
        {
            _kept[i] = new CoapMessageSnapshot(KeptOptions, KeptOptionBytes, maxUnfragmentedSize);
            _key[i] = new byte[MaxKeyLength];
        }

        _keyLength = new int[slots];
        _peer = new int[slots];
        _lastUse = new long[slots];
        _transferKey = new byte[slots][];
        for (int i = 0; i < slots; i++)
        {
            _transferKey[i] = new byte[MaxKeyLength];
        }

        _transferKeyLength = new int[slots];
        _transferPeer = new int[slots];
        _transferId = new int[slots];
        _transferUse = new long[slots];
    }

    /// <summary>Outer Block1 blocks answered 2.31 Continue so far.</summary>
    public int OuterBlocksReceived { get; private set; }

    /// <summary>Outer Block2 blocks served from kept responses so far (after the first of each response).</summary>
    public int OuterBlocksServed { get; private set; }

    /// <summary>Outer Block1 transfers refused (4.00, 4.08, 4.13); those messages never reached OSCORE.</summary>
    public int OuterTransfersRefused { get; private set; }

    /// <inheritdoc/>
    public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
    {
        int at = request.FindOption(CoapOptionNumber.Oscore);
        if (at < 0)
        {
            return _inner.HandleRequest(peer, request, response);
        }

        int keyLength = request.GetOptionLength(at);
        if (keyLength > MaxKeyLength)
        {
            // Longer than any 'kid' + 'kid context' + Partial IV a context here can have (RFC 8613 §6.1): OSCORE refuses it.
            return _inner.HandleRequest(peer, request, response);
        }

        _clock++;
        if (keyLength > 0)
        {
            Array.Copy(request.GetOptionBuffer(at), request.GetOptionOffset(at), _requestKey, 0, keyLength);
        }

        uint block2;
        bool asked = request.TryGetUint(CoapOptionNumber.Block2, out block2) && BlockOption.IsValid(block2);
        bool hasBlock1 = request.HasOption(CoapOptionNumber.Block1);
        if (asked && BlockOption.Num(block2) > 0 && !hasBlock1)
        {
            int slot = FindKept(peer, keyLength);
            if (slot >= 0)
            {
                // RFC 7959 §2.4 on the kept OSCORE response: a later block, never a second protection.
                return Serve(slot, request, response);
            }

            // Nothing kept: OSCORE judges the request (a repeated Partial IV is a replay, RFC 8613 §7.4).
        }

        bool completed = false;
        uint lastBlock1 = 0;
        if (hasBlock1 || request.HasOption(CoapOptionNumber.Size1))
        {
            // RFC 8613 §8.2.1 step A: the Outer Block1 blocks first (RFC 7959 §2.5), then the whole message. Every block
            // of one OSCORE message carries the same OSCORE option (kid, kid context, Partial IV), so the transfer is
            // told apart by (peer, that value): concurrent transfers from one peer do not mix (the mix-up §4.1.3.4.2
            // leaves to Request-Tag cannot happen here).
            uint b1;
            bool first = !request.TryGetUint(CoapOptionNumber.Block1, out b1) || BlockOption.Num(b1) == 0;
            int transfer = Transfer(peer, keyLength, first);
            BlockwiseStatus s = _block1.Receive(transfer, request, response, _clock);
            if (s == BlockwiseStatus.Continue)
            {
                OuterBlocksReceived++;
                return CoapHandlerResult.Respond;
            }

            if (s == BlockwiseStatus.Error)
            {
                // RFC 8613 §4.1.3.4.2: the incomplete or oversized message is discarded; RFC 7959 §2.9 says why.
                OuterTransfersRefused++;
                return CoapHandlerResult.Respond;
            }

            if (s == BlockwiseStatus.Complete)
            {
                completed = true;
                response.TryGetUint(CoapOptionNumber.Block1, out lastBlock1);
                response.RemoveOption(CoapOptionNumber.Block1);
                response.RemoveOption(CoapOptionNumber.Size1);
                request.SetPayload(_block1.BodyBuffer, 0, _block1.BodyLength);
            }

            // The Outer options are only for this stage; OSCORE discards Outer class E options anyway (§8.2 step 1).
            request.RemoveOption(CoapOptionNumber.Block1);
            request.RemoveOption(CoapOptionNumber.Size1);
        }

        int szx = asked ? BlockOption.Szx(block2) : _maxSzx;
        if (szx > _maxSzx)
        {
            szx = _maxSzx;
        }

        CoapHandlerResult r = _inner.HandleRequest(peer, request, response);
        if (r != CoapHandlerResult.Respond)
        {
            return r;
        }

        if (response.HasOption(CoapOptionNumber.Oscore))
        {
            if (asked ? response.PayloadLength > BlockOption.Size(szx) : response.GetSerializedLength() > _maxMessageSize)
            {
                if (!asked)
                {
                    szx = OuterBlockSize.Fit(response, _maxMessageSize, _maxSzx);
                }

                Fragment(peer, keyLength, szx, response);
            }
        }

        if (completed)
        {
            // RFC 7959 §2.3: the final response echoes the last Block1 (Outer, added after protection).
            response.AddUintOption(CoapOptionNumber.Block1, lastBlock1);
        }

        return CoapHandlerResult.Respond;
    }

    // Keeps the protected response and sends its first Outer Block2 block (RFC 7959 §2.4, §4: Size2 with the total).
    private void Fragment(int peer, int keyLength, int szx, CoapMessage response)
    {
        int slot = TakeSlot();
        CoapMessageSnapshot kept = _kept[slot];
        if (!kept.Take(response))
        {
            // Larger than MAX_UNFRAGMENTED_SIZE or too many options to keep: it goes whole, as before.
            return;
        }

        if (keyLength > 0)
        {
            Array.Copy(_requestKey, 0, _key[slot], 0, keyLength);
        }

        _keyLength[slot] = keyLength;
        _peer[slot] = peer;
        _lastUse[slot] = _clock;
        _ask.ClearOptions();
        _ask.AddUintOption(CoapOptionNumber.Block2, BlockOption.Encode(0, false, szx));
        Slice(slot, _ask, response);
    }

    private CoapHandlerResult Serve(int slot, CoapMessage request, CoapMessage response)
    {
        _lastUse[slot] = _clock;
        OuterBlocksServed++;
        Slice(slot, request, response);
        return CoapHandlerResult.Respond;
    }

    private void Slice(int slot, CoapMessage ask, CoapMessage response)
    {
        CoapMessage m = _kept[slot].Message;
        response.ClearOptions();
        response.Code = m.Code;
        for (int i = 0; i < m.OptionCount; i++)
        {
            int n = m.GetOptionNumber(i);
            if (n != CoapOptionNumber.Block2 && n != CoapOptionNumber.Size2)
            {
                response.AddOption(n, m.GetOptionBuffer(i), m.GetOptionOffset(i), m.GetOptionLength(i));
            }
        }

        BlockwiseStatus s = Block2Slicer.Fill(m.PayloadBuffer, m.PayloadOffset, m.PayloadLength, ask, response, _maxSzx);
        if (s == BlockwiseStatus.Error)
        {
            // A block past the end (4.02) or a reserved SZX (4.00), set by the slicer: an unprotected error.
            response.ClearOptions();
            response.SetPayload(null, 0, 0);
            return;
        }

        if (s == BlockwiseStatus.Complete)
        {
            // The last block is out; its bytes stay valid until the layer has serialized this response.
            _kept[slot].Clear();
        }
    }

    // The reassembler's transfer number for (peer, OSCORE option value): a fresh one for block 0, the known one after.
    private int Transfer(int peer, int keyLength, bool first)
    {
        int oldest = 0;
        for (int i = 0; i < _transferId.Length; i++)
        {
            if (_transferUse[i] != 0 && _transferPeer[i] == peer && _transferKeyLength[i] == keyLength && SameKey(_transferKey[i], keyLength))
            {
                if (first)
                {
                    _transferId[i] = ++_nextTransferId;
                }

                _transferUse[i] = _clock;
                return _transferId[i];
            }

            if (_transferUse[i] < _transferUse[oldest])
            {
                oldest = i;
            }
        }

        // Unknown: a new transfer takes the least recently used entry; a later block gets a number nobody holds (4.08).
        int id = ++_nextTransferId;
        if (first)
        {
            if (keyLength > 0)
            {
                Array.Copy(_requestKey, 0, _transferKey[oldest], 0, keyLength);
            }

            _transferKeyLength[oldest] = keyLength;
            _transferPeer[oldest] = peer;
            _transferId[oldest] = id;
            _transferUse[oldest] = _clock;
        }

        return id;
    }

    private int FindKept(int peer, int keyLength)
    {
        for (int i = 0; i < _kept.Length; i++)
        {
            if (_kept[i].IsFull && _peer[i] == peer && _keyLength[i] == keyLength && SameKey(_key[i], keyLength))
            {
                return i;
            }
        }

        return -1;
    }

    private bool SameKey(byte[] key, int length)
    {
        for (int i = 0; i < length; i++)
        {
            if (key[i] != _requestKey[i])
            {
                return false;
            }
        }

        return true;
    }

    private int TakeSlot()
    {
        int best = 0;
        for (int i = 0; i < _kept.Length; i++)
        {
            if (!_kept[i].IsFull)
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
