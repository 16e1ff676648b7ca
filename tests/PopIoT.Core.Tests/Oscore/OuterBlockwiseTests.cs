#nullable disable
using System;
using System.Collections.Generic;
using System.Text;

using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using PopIoT.Core.Tests.Coap;
using PopIoT.Core.Tests.Crypto;

using Xunit;

using static PopIoT.Core.Tests.Oscore.OscoreTestSupport;

namespace PopIoT.Core.Tests.Oscore;

/// <summary>
/// Outer block-wise (RFC 8613 §4.1.3.4.2, §8.2.1, §8.4.1): MessageLayer → <see cref="OuterBlockwiseServer"/> →
/// <see cref="OscoreServer"/> → application. The request side is fragmented here by a test "proxy" that cuts the
/// protected message's payload into RFC 7959 blocks itself (not with the code under test).
/// </summary>
public class OuterBlockwiseTests
{
    private const int Max = 4096;
    private readonly byte[] _out = new byte[2048];
    private int _mid = 0x2000;

    private sealed class Server
    {
        public Server(int bodyLength, int maxUnfragmented = Max)
        {
            var table = new OscoreContextTable(4);
            table.Add(C1Server());
            App = new EchoApp(bodyLength);
            Oscore = new OscoreServer(table, new OscoreProcessor(Max), App, null);
            Verifier = new CountingHandler(Oscore);
            Outer = new OuterBlockwiseServer(Verifier, 2, maxUnfragmented, BlockOption.MaxSzx, 1152);
            var settings = new CoapSettings { DeduplicationCapacity = 64, EvictOldestWhenFull = true };
            Layer = new MessageLayer(settings, new SeededRandomSource(9), Outer, null);
        }

        public EchoApp App { get; }

        public OscoreServer Oscore { get; }

        public OuterBlockwiseServer Outer { get; }

        /// <summary>Counts the messages that reached OSCORE.</summary>
        public CountingHandler Verifier { get; }

        public MessageLayer Layer { get; }
    }

    private sealed class CountingHandler(ICoapRequestHandler inner) : ICoapRequestHandler
    {
        public int Calls { get; private set; }

        public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
        {
            Calls++;
            return inner.HandleRequest(peer, request, response);
        }
    }

    /// <summary>Keeps what each request carried, answers 2.04 (PUT/POST) or 2.05 (GET) with a body of a set length.</summary>
    private sealed class EchoApp : ICoapRequestHandler
    {
        private readonly byte[] _body;

        public EchoApp(int bodyLength)
        {
            _body = new byte[bodyLength];
            for (int i = 0; i < bodyLength; i++)
            {
                _body[i] = (byte)('a' + (i % 26));
            }
        }

        public int Calls { get; private set; }

        public byte[] LastPayload { get; private set; }

        public bool Record { get; set; } = true;

        public byte[] Body => _body;

        public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
        {
            Calls++;
            if (Record)
            {
                LastPayload = request.PayloadBuffer == null ? [] : request.PayloadBuffer.AsSpan(request.PayloadOffset, request.PayloadLength).ToArray();
            }

            response.Code = request.Code == CoapCode.Get ? CoapCode.Content : CoapCode.Changed;
            response.SetPayload(_body, 0, _body.Length);
            return CoapHandlerResult.Respond;
        }
    }

    private static byte[] Body(int n)
    {
        var b = new byte[n];
        for (int i = 0; i < n; i++)
        {
            b[i] = (byte)(i * 7 + 3);
        }

        return b;
    }

    private CoapMessage Protected(OscoreProcessor cp, SecurityContext client, OscoreExchange e, byte code, byte[] payload)
    {
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = code, MessageId = _mid++ };
        m.SetToken([7, 7, 7], 0, 3);
        m.AddUriPath("/store");
        if (payload != null)
        {
            m.SetPayload(payload, 0, payload.Length);
        }

        Assert.Equal(OscoreStatus.Ok, cp.ProtectRequest(m, client, false, e));
        return m;
    }

    // The test proxy: RFC 7959 §2.2, §2.5 by hand. Block k carries bytes [k*size, (k+1)*size) of the OSCORE payload,
    // Block1 = NUM << 4 | M << 3 | SZX, Size1 = the total on block 0; every other option as in the OSCORE message.
    private List<byte[]> SplitOuterBlock1(CoapMessage protectedRequest, int szx)
    {
        int size = 16 << szx;
        int total = protectedRequest.PayloadLength;
        var blocks = new List<byte[]>();
        for (int num = 0; num * size < total; num++)
        {
            int n = Math.Min(size, total - (num * size));
            bool more = (num * size) + n < total;
            var m = new CoapMessage();
            m.CopyFrom(protectedRequest);
            m.MessageId = _mid++;
            m.AddUintOption(CoapOptionNumber.Block1, (uint)((num << 4) | (more ? 8 : 0) | szx));
            if (num == 0)
            {
                m.AddUintOption(CoapOptionNumber.Size1, (uint)total);
            }

            m.SetPayload(protectedRequest.PayloadBuffer, protectedRequest.PayloadOffset + (num * size), n);
            blocks.Add(Serialize(m));
        }

        return blocks;
    }

    // A fresh client context's PUT of a body of bodyLength bytes, protected, then cut by the test proxy.
    private List<byte[]> PutInOuterBlocks(int bodyLength, int szx, out OscoreProcessor cp, out OscoreExchange e)
    {
        cp = new OscoreProcessor(Max);
        e = new OscoreExchange();
        return SplitOuterBlock1(Protected(cp, C1Client(), e, CoapCode.Put, Body(bodyLength)), szx);
    }

    private CoapMessage Exchange(Server s, byte[] datagram, long now = 0)
    {
        s.Layer.Receive(datagram, 0, datagram.Length, 1, now);
        Assert.True(s.Layer.TryTakeOutgoing(_out, 0, out int n, out _));
        return ParseNew(_out.AsSpan(0, n).ToArray());
    }

    // One round of the client helper against the server: its next message out, the response back.
    private CoapMessage Round(Server s, OuterBlockwiseClient outer, CoapMessage send)
    {
        outer.FillNext(send);
        send.MessageId = _mid++;
        return Exchange(s, Serialize(send));
    }

    // Rounds until the helper asks for no more; the last status and response.
    private BlockwiseStatus RunToEnd(Server s, OuterBlockwiseClient outer, CoapMessage send, out CoapMessage last, out int rounds)
    {
        rounds = 0;
        BlockwiseStatus st;
        do
        {
            last = Round(s, outer, send);
            st = outer.OnResponse(last);
            rounds++;
        }
        while (st == BlockwiseStatus.Continue);

        return st;
    }

    private static string Text(CoapMessage m) => Encoding.ASCII.GetString(m.PayloadBuffer ?? [], m.PayloadOffset, m.PayloadLength);

    [Fact]
    public void Protected_put_split_into_outer_block1_blocks_is_reassembled_then_verified()
    {
        var s = new Server(4);
        var client = C1Client();
        var cp = new OscoreProcessor(Max);
        var e = new OscoreExchange();
        byte[] body = Body(3072);
        CoapMessage req = Protected(cp, client, e, CoapCode.Put, body);
        List<byte[]> blocks = SplitOuterBlock1(req, 4); // 256-byte Outer blocks
        Assert.True(blocks.Count > 10);

        for (int i = 0; i < blocks.Count - 1; i++)
        {
            CoapMessage cont = Exchange(s, blocks[i]);
            // RFC 7959 §2.3: 2.31 Continue echoing NUM, unprotected (Outer, hop-by-hop).
            Assert.Equal(CoapCode.Continue, cont.Code);
            Assert.True(cont.TryGetUint(CoapOptionNumber.Block1, out uint b1));
            Assert.Equal((uint)((i << 4) | 8 | 4), b1);
            Assert.False(cont.HasOption(CoapOptionNumber.Oscore));
            Assert.Equal(0, s.App.Calls);
        }

        CoapMessage final = Exchange(s, blocks[^1]);
        Assert.Equal(CoapCode.Changed, final.Code); // the Outer Code of a protected response (RFC 8613 §4.2)
        Assert.True(final.HasOption(CoapOptionNumber.Oscore));
        Assert.True(final.TryGetUint(CoapOptionNumber.Block1, out uint last));
        Assert.Equal(blocks.Count - 1, BlockOption.Num(last));
        Assert.False(BlockOption.More(last));
        Assert.Equal(OscoreStatus.Ok, cp.UnprotectResponse(final, e));
        Assert.Equal(CoapCode.Changed, final.Code);
        Assert.Equal(1, s.App.Calls);
        Assert.Equal(body, s.App.LastPayload);
        Assert.Equal(blocks.Count - 1, s.Outer.OuterBlocksReceived);

        // The same blocks captured and sent again under new Message IDs: joined again, then refused by OSCORE (§7.4).
        CoapMessage replay = null;
        foreach (byte[] block in blocks)
        {
            replay = Exchange(s, OscoreTestSupport.WithMessageId(block, _mid++));
        }

        Assert.Equal(CoapCode.Unauthorized, replay.Code);
        Assert.Equal("Replay detected", Text(replay));
        Assert.Equal(1, s.Oscore.ReplaysDetected);
        Assert.Equal(1, s.App.Calls);
    }

    [Fact]
    public void Two_interleaved_outer_transfers_from_one_peer_are_told_apart_by_their_oscore_option()
    {
        var s = new Server(4);
        var client = C1Client();
        var cp = new OscoreProcessor(Max);
        var e1 = new OscoreExchange();
        var e2 = new OscoreExchange();
        byte[] body1 = Body(700);
        byte[] body2 = Body(900);
        List<byte[]> a = SplitOuterBlock1(Protected(cp, client, e1, CoapCode.Put, body1), 3);
        List<byte[]> b = SplitOuterBlock1(Protected(cp, client, e2, CoapCode.Put, body2), 3);
        Assert.True(a.Count < b.Count);
        CoapMessage lastA = null;
        CoapMessage lastB = null;
        for (int i = 0; i < b.Count; i++)
        {
            if (i < a.Count)
            {
                lastA = Exchange(s, a[i]);
                if (i == a.Count - 1)
                {
                    Assert.Equal(body1, s.App.LastPayload);
                }
            }

            lastB = Exchange(s, b[i]);
        }

        Assert.Equal(OscoreStatus.Ok, cp.UnprotectResponse(lastA, e1));
        Assert.Equal(CoapCode.Changed, lastA.Code);
        Assert.Equal(OscoreStatus.Ok, cp.UnprotectResponse(lastB, e2));
        Assert.Equal(CoapCode.Changed, lastB.Code);
        Assert.Equal(body2, s.App.LastPayload);
        Assert.Equal(2, s.App.Calls);
    }

    [Fact]
    public void Tampering_one_outer_block_makes_verification_fail_with_4_00_and_the_handler_never_runs()
    {
        var s = new Server(4);
        var cp = new OscoreProcessor(Max);
        var e = new OscoreExchange();
        CoapMessage req = Protected(cp, C1Client(), e, CoapCode.Put, Body(1000));
        List<byte[]> blocks = SplitOuterBlock1(req, 3);
        blocks[2][^5] ^= 0x01; // one ciphertext byte in the third block
        for (int i = 0; i < blocks.Count - 1; i++)
        {
            Assert.Equal(CoapCode.Continue, Exchange(s, blocks[i]).Code);
        }

        CoapMessage final = Exchange(s, blocks[^1]);
        // RFC 8613 §8.2 step 6: the reassembled message fails decryption: unprotected 4.00 "Decryption failed".
        Assert.Equal(CoapCode.BadRequest, final.Code);
        Assert.Equal("Decryption failed", Text(final));
        Assert.Equal(OscoreStatus.DecryptionFailed, s.Oscore.LastStatus);
        Assert.Equal(0, s.App.Calls);
    }

    [Fact]
    public void An_out_of_order_outer_block_gets_4_08_and_never_reaches_oscore()
    {
        var s = new Server(4);
        List<byte[]> blocks = PutInOuterBlocks(1000, 3, out _, out _);
        Assert.Equal(CoapCode.Continue, Exchange(s, blocks[0]).Code);
        CoapMessage r = Exchange(s, blocks[2]); // block 1 skipped
        // RFC 7959 §2.9.2: 4.08 Request Entity Incomplete.
        Assert.Equal(CoapCode.RequestEntityIncomplete, r.Code);
        Assert.Equal(1, s.Outer.OuterTransfersRefused);
        Assert.Equal(0, s.Verifier.Calls); // OSCORE never saw a message
        Assert.Equal(0, s.App.Calls);
    }

    [Fact]
    public void A_missing_first_block_gets_4_08()
    {
        var s = new Server(4);
        List<byte[]> blocks = PutInOuterBlocks(1000, 3, out _, out _);
        Assert.Equal(CoapCode.RequestEntityIncomplete, Exchange(s, blocks[^1]).Code);
        Assert.Equal(0, s.App.Calls);
    }

    [Fact]
    public void A_message_above_max_unfragmented_size_gets_4_13_with_size1_and_is_discarded()
    {
        var s = new Server(4, maxUnfragmented: 512);
        List<byte[]> blocks = PutInOuterBlocks(2000, 4, out _, out _);

        // Size1 on block 0 announces 2000+ bytes: refused before anything is stored (RFC 7959 §4, §2.9.3).
        CoapMessage r = Exchange(s, blocks[0]);
        Assert.Equal(CoapCode.RequestEntityTooLarge, r.Code);
        Assert.True(r.TryGetUint(CoapOptionNumber.Size1, out uint size1));
        Assert.Equal(512u, size1);

        // A proxy that leaves Size1 out: the cumulated size passes MAX_UNFRAGMENTED_SIZE on the third block.
        var noSize1 = ParseNew(blocks[0]);
        noSize1.RemoveOption(CoapOptionNumber.Size1);
        noSize1.MessageId = _mid++;
        Assert.Equal(CoapCode.Continue, Exchange(s, Serialize(noSize1)).Code);
        Assert.Equal(CoapCode.Continue, Exchange(s, blocks[1]).Code);
        r = Exchange(s, blocks[2]);
        Assert.Equal(CoapCode.RequestEntityTooLarge, r.Code);
        Assert.Equal(0, s.App.Calls);
        Assert.Equal(0, s.Verifier.Calls);

        // The buffer was let go: block 3 has no transfer to join.
        Assert.Equal(CoapCode.RequestEntityIncomplete, Exchange(s, blocks[3]).Code);
    }

    [Fact]
    public void A_protected_response_larger_than_the_asked_block_size_comes_in_outer_block2_and_the_handler_runs_once()
    {
        var s = new Server(3000);
        var cp = new OscoreProcessor(Max);
        var e = new OscoreExchange();
        CoapMessage get = Protected(cp, C1Client(), e, CoapCode.Get, null);
        var outer = new OuterBlockwiseClient(Max, Max);
        Assert.True(outer.Start(get, -1, 2, 1152)); // ask for 64-byte Outer Block2 blocks
        var send = new CoapMessage();
        CoapMessage first = Round(s, outer, send);
        Assert.True(first.HasOption(CoapOptionNumber.Oscore));
        Assert.True(first.TryGetUint(CoapOptionNumber.Size2, out uint size2)); // RFC 7959 §4: the whole protected size
        Assert.True(size2 > 3000);
        Assert.Equal(BlockwiseStatus.Continue, outer.OnResponse(first));
        Assert.Equal(BlockwiseStatus.Complete, RunToEnd(s, outer, send, out CoapMessage r, out int rounds));
        rounds++;

        Assert.True(rounds > 40);
        Assert.Equal(OscoreStatus.Ok, cp.UnprotectResponse(r, e));
        Assert.Equal(CoapCode.Content, r.Code);
        Assert.Equal(s.App.Body, r.PayloadBuffer.AsSpan(r.PayloadOffset, r.PayloadLength).ToArray());
        Assert.Equal(1, s.App.Calls); // every later block came from the kept protected response
        Assert.Equal(1, s.Verifier.Calls);
        Assert.Equal(rounds - 1, s.Outer.OuterBlocksServed);
        Assert.Equal(0, s.Oscore.ReplaysDetected);
    }

    [Fact]
    public void A_protected_response_above_the_message_size_is_fragmented_unasked_and_the_client_follows()
    {
        var s = new Server(3000);
        var cp = new OscoreProcessor(Max);
        var e = new OscoreExchange();
        var outer = new OuterBlockwiseClient(Max, Max);
        Assert.True(outer.Start(Protected(cp, C1Client(), e, CoapCode.Get, null), -1, -1, 1152));
        var send = new CoapMessage();
        CoapMessage r = Round(s, outer, send);
        Assert.False(send.HasOption(CoapOptionNumber.Block2)); // nothing asked
        Assert.True(r.TryGetUint(CoapOptionNumber.Block2, out uint b2));
        Assert.Equal(BlockOption.MaxSzx, BlockOption.Szx(b2)); // the largest size that fits 1152 bytes: 1024
        Assert.Equal(BlockwiseStatus.Continue, outer.OnResponse(r));

        Assert.Equal(BlockwiseStatus.Complete, RunToEnd(s, outer, send, out r, out int rounds));
        Assert.Equal(2, rounds);
        Assert.Equal(OscoreStatus.Ok, cp.UnprotectResponse(r, e));
        Assert.Equal(3000, r.PayloadLength);
        Assert.Equal(1, s.App.Calls);
    }

    [Fact]
    public void The_client_helper_fragments_a_large_protected_request_with_outer_block1()
    {
        var s = new Server(10);
        var cp = new OscoreProcessor(Max);
        var e = new OscoreExchange();
        byte[] body = Body(2500);
        var outer = new OuterBlockwiseClient(Max, Max);
        Assert.True(outer.Start(Protected(cp, C1Client(), e, CoapCode.Post, body), 5, -1, 1152));
        Assert.True(outer.IsFragmenting);

        Assert.Equal(BlockwiseStatus.NotBlockwise, RunToEnd(s, outer, new CoapMessage(), out CoapMessage r, out int rounds));
        Assert.Equal(5, rounds); // 2500 + Code, options, tag → 5 blocks of 512
        Assert.Equal(4, s.Outer.OuterBlocksReceived);
        Assert.Equal(OscoreStatus.Ok, cp.UnprotectResponse(r, e));
        Assert.Equal(CoapCode.Changed, r.Code);
        Assert.Equal(body, s.App.LastPayload);
    }

    [Fact]
    public void A_later_outer_block2_request_with_nothing_kept_goes_to_oscore_and_is_a_replay()
    {
        var s = new Server(3000);
        var outer = new OuterBlockwiseClient(Max, Max);
        Assert.True(outer.Start(Protected(new OscoreProcessor(Max), C1Client(), new OscoreExchange(), CoapCode.Get, null), -1, -1, 1152));
        var send = new CoapMessage();
        Assert.Equal(BlockwiseStatus.Complete, RunToEnd(s, outer, send, out _, out int rounds));
        Assert.Equal(3, rounds);

        // The last block went out, so the kept response is gone: asking again is the same OSCORE request again.
        send.MessageId = _mid++;
        CoapMessage r = Exchange(s, Serialize(send));
        Assert.Equal(CoapCode.Unauthorized, r.Code);
        Assert.Equal("Replay detected", Text(r));
        Assert.Equal(1, s.App.Calls);
    }

    [Fact]
    public void Mutated_outer_blocks_never_throw_and_each_gets_a_defined_answer()
    {
        var s = new Server(300);
        var cp = new OscoreProcessor(Max);
        var client = C1Client();
        var e = new OscoreExchange();
        var seeds = new List<byte[]>();
        for (int t = 0; t < 8; t++)
        {
            CoapMessage req = Protected(cp, client, e, CoapCode.Post, Body(150 + (t * 40)));
            req.AddUintOption(CoapOptionNumber.Block2, BlockOption.Encode(t % 3, false, 1 + (t % 3)));
            seeds.AddRange(SplitOuterBlock1(req, 1 + (t % 3)));
        }

        var allowed = new HashSet<byte>
        {
            CoapCode.Continue, CoapCode.Changed, CoapCode.BadRequest, CoapCode.Unauthorized, CoapCode.BadOption,
            CoapCode.RequestEntityIncomplete, CoapCode.RequestEntityTooLarge,
        };
        var r = SeededRandomSource.NewRandom(8613);
        var request = new CoapMessage();
        var response = new CoapMessage();
        int handled = 0;
        for (int i = 0; i < 20_000; i++)
        {
            byte[] d = (byte[])seeds[r.Next(seeds.Count)].Clone();
            int flips = r.Next(4);
            for (int f = 0; f < flips; f++)
            {
                d[r.Next(4, d.Length)] ^= (byte)(1 << r.Next(8));
            }

            int length = r.Next(10) == 0 ? r.Next(4, d.Length + 1) : d.Length;
            if (request.Parse(d, 0, length) != CoapParseError.None || !CoapCode.IsRequest(request.Code))
            {
                continue;
            }

            response.Reset();
            response.CopyTokenFrom(request);
            s.Outer.HandleRequest(r.Next(3), request, response); // an exception fails the test
            Assert.True(allowed.Contains(response.Code), "code " + CoapCode.ClassOf(response.Code) + "." + (response.Code & 0x1F).ToString("00", System.Globalization.CultureInfo.InvariantCulture));
            handled++;
        }

        Assert.True(handled > 10_000, handled + " handled");
        Assert.True(s.Outer.OuterBlocksReceived > 100);
        Assert.True(s.Outer.OuterTransfersRefused > 100);
    }

    [Theory]
    [InlineData(1152, 6)] // RFC 7252 §4.6's 1152-byte budget: 1024-byte blocks
    [InlineData(512, 4)]
    [InlineData(300, 4)] // 256 + header, OSCORE option and Block1 + Size1 fit 300
    [InlineData(260, 3)]
    [InlineData(20, 0)]
    public void The_outer_block_size_is_the_largest_whose_blocks_fit_the_datagram_budget(int budget, int szx)
    {
        var cp = new OscoreProcessor(Max);
        CoapMessage m = Protected(cp, C1Client(), new OscoreExchange(), CoapCode.Put, Body(1100));
        Assert.Equal(szx, OuterBlockSize.Fit(m, budget, BlockOption.MaxSzx));
        Assert.Equal(3, OuterBlockSize.Fit(m, 1152, 3)); // never above the allowed maximum
    }

    [Fact]
    public void The_server_stage_names_a_bad_limit()
    {
        var inner = new EchoApp(1);
        Assert.Equal("slots", Assert.Throws<ArgumentOutOfRangeException>(() => new OuterBlockwiseServer(inner, 0, Max, 6, 1152)).ParamName);
        Assert.Equal("maxUnfragmentedSize", Assert.Throws<ArgumentOutOfRangeException>(() => new OuterBlockwiseServer(inner, 1, 8, 6, 1152)).ParamName);
        Assert.Equal("maxSzx", Assert.Throws<ArgumentOutOfRangeException>(() => new OuterBlockwiseServer(inner, 1, Max, 7, 1152)).ParamName);
        Assert.Equal("maxMessageSize", Assert.Throws<ArgumentOutOfRangeException>(() => new OuterBlockwiseServer(inner, 1, Max, 6, 8)).ParamName);
    }

    [Fact]
    public void Outer_blockwise_allocates_nothing_per_transfer_after_warm_up()
    {
        var s = new Server(300);
        s.App.Record = false;
        var cp = new OscoreProcessor(Max);
        var client = C1Client();
        var e = new OscoreExchange();
        const int Count = 300;
        var transfers = new List<byte[]>[Count];
        for (int t = 0; t < Count; t++)
        {
            CoapMessage req = Protected(cp, client, e, CoapCode.Post, Body(200));
            req.AddUintOption(CoapOptionNumber.Block2, BlockOption.Encode(0, false, 2)); // Outer: ask 64-byte blocks
            List<byte[]> blocks = SplitOuterBlock1(req, 2);
            req.RemoveOption(CoapOptionNumber.Block2);
            for (int n = 1; n <= 4; n++)
            {
                // RFC 7959 §2.4: the same OSCORE request with Block2 NUM n for the rest of the response.
                var follow = new CoapMessage();
                follow.CopyFrom(req);
                follow.MessageId = _mid++;
                follow.AddUintOption(CoapOptionNumber.Block2, BlockOption.Encode(n, false, 2));
                blocks.Add(Serialize(follow));
            }

            transfers[t] = blocks;
        }

        int last = 0;
        long now = 0;
        void Run(int t)
        {
            foreach (byte[] d in transfers[t])
            {
                s.Layer.Receive(d, 0, d.Length, 1, now++);
                s.Layer.TryTakeOutgoing(_out, 0, out last, out _);
            }
        }

        for (int t = 0; t < 50; t++)
        {
            Run(t);
        }

        // The warm-up ends with the last Outer Block2 block of a verified response: 2.04, M = 0.
        var check = ParseNew(_out.AsSpan(0, last).ToArray());
        Assert.Equal(CoapCode.Changed, check.Code);
        Assert.True(check.TryGetUint(CoapOptionNumber.Block2, out uint b2));
        Assert.Equal(4, BlockOption.Num(b2));
        Assert.False(BlockOption.More(b2));
        Assert.Equal(50, s.App.Calls);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 50; t < Count; t++)
        {
            Run(t);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(Count, s.App.Calls);
    }
}
