using System;
using System.Collections.Generic;

using PopIoT.Core.Coap;

using Xunit;

namespace PopIoT.Core.Tests.Coap;

/// <summary>Block-wise transfers (RFC 7959) end to end between two message layers in memory.</summary>
public class BlockwiseTests
{
    private static byte[] Body(int n)
    {
        byte[] b = new byte[n];
        SeededRandomSource.NewRandom(n).NextBytes(b);
        return b;
    }

    [Theory]
    [InlineData(0, false, 0, 0x00u)]
    [InlineData(0, true, 2, 0x0Au)]
    [InlineData(4, true, 1, 0x49u)]
    [InlineData(0xFFFFF, false, 6, 0xFFFFF6u)]
    public void Block_values_pack_num_m_szx(int num, bool more, int szx, uint value)
    {
        Assert.Equal(value, BlockOption.Encode(num, more, szx));
        Assert.Equal(num, BlockOption.Num(value));
        Assert.Equal(more, BlockOption.More(value));
        Assert.Equal(szx, BlockOption.Szx(value));
        Assert.True(BlockOption.IsValid(value));
        Assert.False(BlockOption.IsValid(value | 7));
        Assert.Equal(16 << szx, BlockOption.Size(szx));
    }

    [Fact]
    public void Block1_upload_of_4_KiB_in_64_byte_blocks()
    {
        var upload = new UploadResource(maxBody: 8192, maxSzx: 6);
        var client = new Uploader(new CoapPair(upload, Roomy()), Body(4096), szx: 2);
        client.Run();
        Assert.Equal(BlockwiseStatus.Complete, client.Status);
        Assert.Equal(Body(4096), upload.Received);
        Assert.Equal(64, client.Block1Values.Count);
        Assert.Equal(BlockOption.Encode(0, true, 2), client.Block1Values[0]);
        Assert.Equal(BlockOption.Encode(63, false, 2), client.Block1Values[63]);
        Assert.Equal(63, client.Codes.FindAll(c => c == CoapCode.Continue).Count);
        Assert.Equal(CoapCode.Changed, client.Codes[^1]);
    }

    [Fact]
    public void Server_forces_a_smaller_block1_size_figure_4()
    {
        var upload = new UploadResource(maxBody: 8192, maxSzx: 1);
        var client = new Uploader(new CoapPair(upload, Roomy()), Body(1000), szx: 3);
        client.Run();
        Assert.Equal(BlockwiseStatus.Complete, client.Status);
        Assert.Equal(Body(1000), upload.Received);
        // RFC 7959 Figure 4: 0/1/128 answered with 2.31 0/1/32, then the client continues at NUM 4 with 32 bytes.
        Assert.Equal(BlockOption.Encode(0, true, 3), client.Block1Values[0]);
        Assert.Equal(BlockOption.Encode(4, true, 1), client.Block1Values[1]);
        Assert.Equal(1 + ((1000 - 128 + 31) / 32), client.Block1Values.Count);
    }

    [Fact]
    public void Too_large_body_gets_4_13_with_size1()
    {
        var upload = new UploadResource(maxBody: 1024, maxSzx: 6);
        var pair = new CoapPair(upload, Roomy());
        var client = new Uploader(pair, Body(4096), szx: 2);
        client.Run();
        Assert.Equal(BlockwiseStatus.Error, client.Status);
        Assert.Equal(CoapCode.RequestEntityTooLarge, client.Codes[^1]);
        Assert.Equal(1024u, client.LastSize1);

        // Without Size1 up front the limit is hit at the block that crosses it.
        var direct = new Block1Reassembler(1, 100, 6);
        var request = new CoapMessage { Code = CoapCode.Post };
        var response = new CoapMessage();
        byte[] block = new byte[64];
        request.SetUintOption(CoapOptionNumber.Block1, BlockOption.Encode(0, true, 2));
        request.SetPayload(block, 0, 64);
        Assert.Equal(BlockwiseStatus.Continue, direct.Receive(1, request, response, 0));
        request.SetUintOption(CoapOptionNumber.Block1, BlockOption.Encode(1, true, 2));
        response.Reset();
        Assert.Equal(BlockwiseStatus.Error, direct.Receive(1, request, response, 0));
        Assert.Equal(CoapCode.RequestEntityTooLarge, response.Code);
        Assert.True(response.TryGetUint(CoapOptionNumber.Size1, out uint size1));
        Assert.Equal(100u, size1);
    }

    [Fact]
    public void Missing_or_out_of_order_block_gets_4_08_and_szx_7_gets_4_00()
    {
        var r = new Block1Reassembler(2, 4096, 6);
        var request = new CoapMessage { Code = CoapCode.Put };
        var response = new CoapMessage();
        byte[] block = new byte[32];
        BlockwiseStatus Send(int peer, int num, bool more, int szx = 1)
        {
            response.Reset();
            request.SetUintOption(CoapOptionNumber.Block1, BlockOption.Encode(num, more, szx));
            request.SetPayload(block, 0, more ? 32 : 5);
            return r.Receive(peer, request, response, 0);
        }

        Assert.Equal(BlockwiseStatus.Error, Send(1, 1, true)); // no transfer started
        Assert.Equal(CoapCode.RequestEntityIncomplete, response.Code);
        Assert.Equal(BlockwiseStatus.Continue, Send(1, 0, true));
        Assert.Equal(CoapCode.Continue, response.Code);
        Assert.Equal(BlockwiseStatus.Error, Send(1, 2, true)); // block 1 missing
        Assert.Equal(CoapCode.RequestEntityIncomplete, response.Code);
        Assert.Equal(BlockwiseStatus.Continue, Send(2, 0, true)); // another peer, own slot
        Assert.Equal(BlockwiseStatus.Continue, Send(1, 1, true));
        Assert.Equal(BlockwiseStatus.Complete, Send(1, 2, false));
        Assert.Equal(69, r.BodyLength);
        Assert.Equal(BlockwiseStatus.Error, Send(1, 0, true, 7));
        Assert.Equal(CoapCode.BadRequest, response.Code);
    }

    [Theory]
    [InlineData(2, 6, 64)] // the client asks for 64-byte blocks
    [InlineData(6, 1, 32)] // the server forces 32-byte blocks
    public void Block2_download_of_4_KiB(int clientSzx, int serverSzx, int blockSize)
    {
        byte[] body = Body(4096);
        var pair = new CoapPair(new DownloadResource(body, serverSzx), Roomy());
        var assembler = new Block2Assembler(8192);
        var statuses = new List<BlockwiseStatus>();
        var payloadSizes = new List<int>();
        pair.Listener.OnResponseHook = (_, response) =>
        {
            payloadSizes.Add(response.PayloadLength);
            BlockwiseStatus s = assembler.Append(response);
            statuses.Add(s);
            if (s == BlockwiseStatus.Continue)
            {
                pair.Client.SendRequest(CoapPair.ServerPeer, BlockGet(assembler.NextBlock), 0, out _);
            }
        };
        pair.Client.SendRequest(CoapPair.ServerPeer, BlockGet(BlockOption.Encode(0, false, clientSzx)), 0, out _);
        pair.Pump(0);
        Assert.True(statuses[^1] == BlockwiseStatus.Complete, string.Join(",", statuses) + " / " + string.Join(",", payloadSizes) + " / " + string.Join(",", pair.Listener.Responses.ConvertAll(r => r.Code.ToString("x2", null))));
        Assert.Equal(4096 / blockSize, statuses.Count);
        Assert.All(payloadSizes, n => Assert.Equal(blockSize, n));
        Assert.Equal(body, assembler.BodyBuffer.AsSpan(0, assembler.BodyLength).ToArray());
    }

    [Fact]
    public void Block2_past_the_end_gets_4_02_and_szx_7_gets_4_00()
    {
        byte[] body = Body(100);
        var request = new CoapMessage { Code = CoapCode.Get };
        var response = new CoapMessage();
        request.SetUintOption(CoapOptionNumber.Block2, BlockOption.Encode(6, false, 0));
        Assert.Equal(BlockwiseStatus.Complete, Block2Slicer.Fill(body, 0, 100, request, response, 6));
        Assert.Equal(4, response.PayloadLength);
        response.Reset();
        request.SetUintOption(CoapOptionNumber.Block2, BlockOption.Encode(7, false, 0));
        Assert.Equal(BlockwiseStatus.Error, Block2Slicer.Fill(body, 0, 100, request, response, 6));
        Assert.Equal(CoapCode.BadOption, response.Code);
        response.Reset();
        request.SetUintOption(CoapOptionNumber.Block2, 7);
        Assert.Equal(BlockwiseStatus.Error, Block2Slicer.Fill(body, 0, 100, request, response, 6));
        Assert.Equal(CoapCode.BadRequest, response.Code);
        response.Reset();
        request.RemoveOption(CoapOptionNumber.Block2);
        Assert.Equal(BlockwiseStatus.NotBlockwise, Block2Slicer.Fill(body, 0, 100, request, response, 6));
        Assert.Equal(100, response.PayloadLength);
        Assert.False(response.HasOption(CoapOptionNumber.Block2));
    }

    // 64 blocks within EXCHANGE_LIFETIME need 64 live duplicate-cache entries on each side (CoapSettings.EvictOldestWhenFull).
    private static CoapSettings Roomy() => new() { DeduplicationCapacity = 160 };

    private static CoapMessage BlockGet(uint block2)
    {
        var get = new CoapMessage { Code = CoapCode.Get };
        get.AddUriPath("/big");
        get.AddUintOption(CoapOptionNumber.Block2, block2);
        return get;
    }

    private sealed class Uploader
    {
        private readonly CoapPair _pair;
        private readonly Block1Sender _sender = new();

        public Uploader(CoapPair pair, byte[] body, int szx)
        {
            _pair = pair;
            _sender.Start(body, 0, body.Length, szx);
            pair.Listener.OnResponseHook = (_, response) =>
            {
                Codes.Add(response.Code);
                if (response.TryGetUint(CoapOptionNumber.Size1, out uint size1))
                {
                    LastSize1 = size1;
                }

                Status = _sender.OnResponse(response);
                if (Status == BlockwiseStatus.Continue)
                {
                    SendNext();
                }
            };
        }

        public List<uint> Block1Values { get; } = [];

        public List<byte> Codes { get; } = [];

        public BlockwiseStatus Status { get; private set; }

        public uint LastSize1 { get; private set; }

        public void Run()
        {
            SendNext();
            _pair.Pump(0);
        }

        private void SendNext()
        {
            var post = new CoapMessage { Code = CoapCode.Post };
            post.AddUriPath("/upload");
            _sender.FillNext(post);
            post.TryGetUint(CoapOptionNumber.Block1, out uint v);
            Block1Values.Add(v);
            Assert.Equal(CoapSendStatus.Sent, _pair.Client.SendRequest(CoapPair.ServerPeer, post, 0, out _));
        }
    }

    private sealed class UploadResource : ICoapRequestHandler
    {
        private readonly Block1Reassembler _reassembler;

        public UploadResource(int maxBody, int maxSzx) => _reassembler = new Block1Reassembler(2, maxBody, maxSzx);

        public byte[]? Received { get; private set; }

        public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
        {
            switch (_reassembler.Receive(peer, request, response, 0))
            {
                case BlockwiseStatus.Complete:
                    Received = _reassembler.BodyBuffer.AsSpan(0, _reassembler.BodyLength).ToArray();
                    response.Code = CoapCode.Changed;
                    break;
                case BlockwiseStatus.NotBlockwise:
                    Received = request.PayloadBuffer.AsSpan(request.PayloadOffset, request.PayloadLength).ToArray();
                    response.Code = CoapCode.Changed;
                    break;
            }

            return CoapHandlerResult.Respond;
        }
    }

    private sealed class DownloadResource(byte[] body, int maxSzx) : ICoapRequestHandler
    {
        public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
        {
            if (Block2Slicer.Fill(body, 0, body.Length, request, response, maxSzx) != BlockwiseStatus.Error)
            {
                response.Code = CoapCode.Content;
            }

            return CoapHandlerResult.Respond;
        }
    }
}
