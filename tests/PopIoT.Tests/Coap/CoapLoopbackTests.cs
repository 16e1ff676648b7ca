using System.Net;
using System.Net.Sockets;
using System.Text;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using Xunit;

namespace PopIoT.Tests.Coap;

/// <summary>Our client against our server over real UDP sockets on loopback (ephemeral ports only).</summary>
public sealed class CoapLoopbackTests : IDisposable
{
    private readonly CoapServer _server = new();
    private readonly CoapClient _client = new(new CoapClientOptions { Timeout = TimeSpan.FromSeconds(10) });
    private readonly Uri _base;
    private int _posts;
    private int _slowPosts;

    public CoapLoopbackTests()
    {
        CoapDemoResources.Map(_server);
        _server.Map("/slow", CoapMethods.Get, async (_, ct) =>
        {
            await Task.Delay(50, ct);
            return new CoapResponse(CoapCode.Content, "late"u8.ToArray(), 0);
        });
        _server.Map("/boom", CoapMethods.Get, (_, _) => throw new InvalidOperationException("handler bug"));
        _server.Map("/count", CoapMethods.Post, (req, _) =>
        {
            Interlocked.Increment(ref _posts);
            return ValueTask.FromResult(new CoapResponse(CoapCode.Changed, req.Payload.ToArray()));
        });
        _server.Map("/slow-count", CoapMethods.Post, async (req, ct) =>
        {
            // A handler that finishes later (as the AS's /token does after its durable write) answers separately.
            Interlocked.Increment(ref _slowPosts);
            await Task.Delay(20, ct);
            byte[] large = new byte[2500];
            SeededRandomSource.NewRandom(2500).NextBytes(large);
            return new CoapResponse(CoapCode.Created, large);
        });
        _server.Map("/q", CoapMethods.Get, (req, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Content, Encoding.UTF8.GetBytes(string.Join("|", req.Query)))));
        IPEndPoint at = _server.Start(new IPEndPoint(IPAddress.Loopback, 0));
        _base = new Uri("coap://127.0.0.1:" + at.Port);
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
    }

    private Uri U(string path) => new(_base, path);

    [Fact]
    public async Task Get_put_post_delete_on_the_demo_resources()
    {
        Assert.Equal(CoapCode.NotFound, (await _client.GetAsync(U("/store"))).Code);
        var put = await _client.PutAsync(U("/store"), "hello"u8.ToArray(), CoapContentFormat.TextPlain);
        Assert.Equal("2.01", put.CodeText);
        var get = await _client.GetAsync(U("/store"));
        Assert.Equal("2.05 hello 0", get.CodeText + " " + get.PayloadText + " " + get.ContentFormat);
        var post = await _client.PostAsync(U("/echo"), "ping"u8.ToArray());
        Assert.Equal("2.04 ping", post.CodeText + " " + post.PayloadText);
        Assert.Equal(CoapCode.Deleted, (await _client.DeleteAsync(U("/store"))).Code);
        Assert.Equal(CoapCode.NotFound, (await _client.GetAsync(U("/store"))).Code);
        Assert.Equal(CoapCode.MethodNotAllowed, (await _client.DeleteAsync(U("/time"))).Code);
        Assert.Equal(CoapCode.NotFound, (await _client.GetAsync(U("/nothing"))).Code);
        Assert.Equal("a=1|b=x y", (await _client.GetAsync(U("/q?a=1&b=x%20y"))).PayloadText);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(16)]
    [InlineData(64)]
    [InlineData(1024)]
    public async Task Large_bodies_go_block_wise_both_ways(int? blockSize)
    {
        var large = await _client.SendAsync(new CoapRequest(CoapCode.Get, U("/large")) { BlockSize = blockSize });
        Assert.Equal(CoapDemoResources.LargeBody.ToArray(), large.Payload.ToArray());

        byte[] body = new byte[3 * 1024];
        SeededRandomSource.NewRandom(7).NextBytes(body);
        var put = await _client.SendAsync(new CoapRequest(CoapCode.Put, U("/store")) { Payload = body, BlockSize = blockSize, ContentFormat = 42 });
        Assert.True(put.IsSuccess, put.CodeText);
        var back = await _client.SendAsync(new CoapRequest(CoapCode.Get, U("/store")) { BlockSize = blockSize });
        Assert.Equal(body, back.Payload.ToArray());
        Assert.Equal(42, back.ContentFormat);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(64)]
    [InlineData(null)]
    public async Task A_large_post_whose_response_is_large_too_runs_once_and_returns_the_whole_body(int? blockSize)
    {
        // RFC 7959 §2.6: Block1 carries the request, Block2 the response; the follow-up requests for
        // the later response blocks must get slices of the one response, not run the handler again.
        byte[] body = new byte[3000];
        SeededRandomSource.NewRandom(7959).NextBytes(body);

        var echo = await _client.SendAsync(new CoapRequest(CoapCode.Put, U("/echo")) { Payload = body, BlockSize = blockSize });
        Assert.Equal(CoapCode.Changed, echo.Code);
        Assert.Equal(body, echo.Payload.ToArray());

        var counted = await _client.SendAsync(new CoapRequest(CoapCode.Post, U("/count")) { Payload = body, BlockSize = blockSize });
        Assert.Equal(body, counted.Payload.ToArray());
        Assert.Equal(1, Volatile.Read(ref _posts));
    }

    [Theory]
    [InlineData(64)]
    [InlineData(null)]
    public async Task A_separate_response_larger_than_a_block_goes_block_wise_and_its_handler_runs_once(int? blockSize)
    {
        // RFC 7959 §2.6 with RFC 7252 §5.2.2: the later blocks of a separate response come from that one response.
        var r = await _client.SendAsync(new CoapRequest(CoapCode.Post, U("/slow-count")) { Payload = "x"u8.ToArray(), BlockSize = blockSize });
        byte[] expected = new byte[2500];
        SeededRandomSource.NewRandom(2500).NextBytes(expected);
        Assert.True(r.Code == CoapCode.Created, r.CodeText + " " + r.PayloadText);
        Assert.Equal(expected, r.Payload.ToArray());
        Assert.Equal(1, Volatile.Read(ref _slowPosts));
    }

    [Fact]
    public async Task Wellknown_core_lists_the_resources()
    {
        var r = await _client.GetAsync(U("/.well-known/core"));
        Assert.Equal(CoapContentFormat.LinkFormat, r.ContentFormat);
        Assert.Contains("</time>;rt=\"time\";ct=0;obs", r.PayloadText, StringComparison.Ordinal);
        Assert.Contains("</large>", r.PayloadText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Observe_yields_the_first_response_then_notifications_and_deregisters()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var ticker = new CancellationTokenSource();
        var received = new List<CoapResponse>();
        Task tick = Task.Run(async () =>
        {
            while (!ticker.IsCancellationRequested)
            {
                await Task.Delay(30);
                _server.NotifyObservers("/time");
            }
        });
        await foreach (CoapResponse r in _client.ObserveAsync(U("/time"), cts.Token))
        {
            received.Add(r);
            if (received.Count == 4)
            {
                break;
            }
        }

        await ticker.CancelAsync();
        await tick;
        Assert.All(received, r => Assert.Equal(CoapCode.Content, r.Code));
        Assert.All(received, r => Assert.NotNull(r.Observe));
        Assert.True(received.Zip(received.Skip(1)).All(p => p.First.Observe < p.Second.Observe), "Observe numbers increase (RFC 7641 §4.4)");
        // RFC 7641 §3.6: the GET with Observe 1 the client sends on leaving removes the registration.
        for (int i = 0; i < 100 && _server.ObserverCount > 0; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(0, _server.ObserverCount);
    }

    [Fact]
    public async Task A_slow_handler_answers_with_a_separate_response_and_a_throwing_one_with_5_00()
    {
        var slow = await _client.GetAsync(U("/slow"));
        Assert.Equal("2.05 late", slow.CodeText + " " + slow.PayloadText);
        var boom = await _client.GetAsync(U("/boom"));
        Assert.Equal(CoapCode.InternalServerError, boom.Code);
        var nonSlow = await _client.SendAsync(new CoapRequest(CoapCode.Get, U("/slow")) { Confirmable = false });
        Assert.Equal("late", nonSlow.PayloadText);
    }

    [Fact]
    public async Task Garbage_datagrams_never_stop_the_server()
    {
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        raw.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var rng = SeededRandomSource.NewRandom(42);
        var target = new IPEndPoint(IPAddress.Loopback, _base.Port);
        for (int i = 0; i < 500; i++)
        {
            byte[] junk = new byte[rng.Next(0, 64)];
            rng.NextBytes(junk);
            if (junk.Length > 0 && i % 2 == 0)
            {
                junk[0] = (byte)(0x40 | (junk[0] & 0x3F)); // version 1, so the parser goes further
            }

            raw.SendTo(junk, target);
        }

        var r = await _client.GetAsync(U("/time"));
        Assert.Equal(CoapCode.Content, r.Code);
        Assert.True(_server.RejectedDatagrams > 0);
    }

    [Fact]
    public async Task Many_concurrent_posts_each_run_once()
    {
        Task<CoapResponse>[] all = Enumerable.Range(0, 200)
            .Select(i => _client.PostAsync(U("/count"), Encoding.ASCII.GetBytes("n" + i)))
            .ToArray();
        CoapResponse[] done = await Task.WhenAll(all);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => "n" + i), done.Select(r => r.PayloadText));
        Assert.Equal(200, _posts);
    }

    [SkippableFact]
    public async Task Ipv6_loopback_literal_works()
    {
        Skip.IfNot(Socket.OSSupportsIPv6, "this host has no IPv6");
        using var server6 = new CoapServer();
        CoapDemoResources.Map(server6);
        IPEndPoint at;
        try
        {
            at = server6.Start(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported)
        {
            throw new SkipException("this host has no IPv6 loopback: " + e.SocketErrorCode);
        }

        var r = await _client.PostAsync(new Uri("coap://[::1]:" + at.Port + "/echo"), "six"u8.ToArray());
        Assert.Equal("six", r.PayloadText);
    }

    [Fact]
    public async Task No_answer_is_a_timeout_and_cancellation_is_honoured()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var uri = new Uri("coap://127.0.0.1:" + ((IPEndPoint)silent.LocalEndPoint!).Port + "/x");
        using var quick = new CoapClient(new CoapClientOptions { Timeout = TimeSpan.FromMilliseconds(300) });
        var e = await Assert.ThrowsAsync<CoapTimeoutException>(() => quick.GetAsync(uri));
        Assert.False(e.ByMessageLayer);

        using var cts = new CancellationTokenSource(200);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _client.GetAsync(uri, cts.Token));
    }
}
