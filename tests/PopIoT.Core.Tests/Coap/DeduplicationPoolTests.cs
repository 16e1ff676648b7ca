using System;

using PopIoT.Core.Coap;

using Xunit;

namespace PopIoT.Core.Tests.Coap;

/// <summary>
/// The duplicate cache's shared reply pool (RFC 7252 §4.5; docs/coap.md, "Duplicate detection"): a device keeps its
/// latest replies in one pool of <see cref="CoapSettings.DeduplicationPoolBytes"/>; a duplicate CON gets the very bytes
/// that answered it while its reply is kept, and is processed again once later replies have overwritten it, never
/// answered with another reply's bytes.
/// </summary>
public class DeduplicationPoolTests
{
    private const int MessageSize = 64;

    private readonly byte[] _out = new byte[2048];

    private static byte[] Post(int mid, int size) => Hex.Parse("4202" + mid.ToString("x4", null) + "beef" + "b5" + Hex.Ascii("count") + "ff" + size.ToString("x2", null));

    private static CoapSettings Pooled() => new() { MaxMessageSize = MessageSize, DeduplicationCapacity = 4, DeduplicationPerPeer = 1, DeduplicationPoolBytes = MessageSize };

    private string Take(MessageLayer layer)
    {
        Assert.True(layer.TryTakeOutgoing(_out, 0, out int n, out _));
        return Hex.Of(_out, 0, n);
    }

    [Fact]
    public void Small_replies_of_four_peers_share_one_message_of_pool_and_every_duplicate_gets_its_own_bytes()
    {
        var handler = new SizedHandler();
        var server = new MessageLayer(Pooled(), new SeededRandomSource(1), handler, null);
        var first = new string[4];
        for (int peer = 0; peer < 4; peer++)
        {
            byte[] post = Post(0x0200 + peer, 1);
            server.Receive(post, 0, post.Length, peer, 1000);
            first[peer] = Take(server);
        }

        for (int peer = 0; peer < 4; peer++)
        {
            byte[] post = Post(0x0200 + peer, 1);
            server.Receive(post, 0, post.Length, peer, 240000);
            Assert.Equal(first[peer], Take(server));
        }

        Assert.Equal(4, handler.Calls);
        Assert.Equal(4, server.DuplicatesDetected);
        Assert.Equal(0, server.DeduplicationEvictions);
    }

    [Fact]
    public void A_reply_overwritten_by_a_later_one_forgets_its_entry_so_the_duplicate_is_processed_again_never_answered_with_other_bytes()
    {
        var handler = new SizedHandler();
        var server = new MessageLayer(Pooled(), new SeededRandomSource(1), handler, null);
        byte[] small = Post(0x0300, 1);
        server.Receive(small, 0, small.Length, 1, 0);
        string smallReply = Take(server);

        // Peer 2's reply needs the whole pool: it wraps over peer 1's.
        byte[] big = Post(0x0301, 50);
        server.Receive(big, 0, big.Length, 2, 10);
        string bigReply = Take(server);
        Assert.Equal(1, server.DeduplicationEvictions);

        server.Receive(big, 0, big.Length, 2, 20);
        Assert.Equal(bigReply, Take(server));
        Assert.Equal(2, handler.Calls);

        // Peer 1's duplicate: its entry is gone, so the handler runs again (a new answer), as after any eviction.
        server.Receive(small, 0, small.Length, 1, 30);
        string again = Take(server);
        Assert.Equal(3, handler.Calls);
        Assert.NotEqual(smallReply, again);
        Assert.NotEqual(bigReply, again);

        // And that new reply is kept for its own duplicates.
        server.Receive(small, 0, small.Length, 1, 40);
        Assert.Equal(again, Take(server));
        Assert.Equal(3, handler.Calls);
    }

    [Fact]
    public void Random_traffic_never_answers_a_duplicate_with_bytes_other_than_its_first_reply_unless_the_handler_ran_again()
    {
        var handler = new SizedHandler();
        var server = new MessageLayer(Pooled(), new SeededRandomSource(1), handler, null);
        var rng = new Random(7);
        var replies = new System.Collections.Generic.Dictionary<(int Peer, int Mid), string>();
        long now = 0;
        for (int i = 0; i < 2000; i++)
        {
            now += rng.Next(0, 500);
            int peer = rng.Next(0, 6);
            int mid = rng.Next(0, 8);
            byte[] post = Post(mid, rng.Next(1, 50));
            int calls = handler.Calls;
            server.Receive(post, 0, post.Length, peer, now);
            string reply = Take(server);
            Assert.False(server.TryTakeOutgoing(_out, 0, out _, out _));
            if (handler.Calls == calls)
            {
                // Answered from the cache: exactly what answered this message before.
                Assert.True(replies.TryGetValue((peer, mid), out string? before));
                Assert.Equal(before, reply);
            }
            else
            {
                replies[(peer, mid)] = reply;
            }
        }

        Assert.True(server.DuplicatesDetected > 0);
        Assert.True(server.DeduplicationEvictions > 0);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(MessageSize - 1)]
    public void A_pool_smaller_than_one_message_is_refused(int pool)
    {
        var s = new CoapSettings { MaxMessageSize = MessageSize, DeduplicationPoolBytes = pool };
        ArgumentException e = Assert.Throws<ArgumentException>(s.Validate);
        Assert.Contains("DeduplicationPoolBytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Zero_means_one_message_per_entry()
    {
        var s = new CoapSettings { MaxMessageSize = 100, DeduplicationCapacity = 3 };
        Assert.Equal(300, s.DeduplicationPoolLimit);
        s.DeduplicationPoolBytes = 150;
        Assert.Equal(150, s.DeduplicationPoolLimit);
    }

    // Not idempotent: every call changes the answer; the request's one payload byte says how long the answer is.
    private sealed class SizedHandler : ICoapRequestHandler
    {
        private readonly byte[] _value = new byte[64];

        public int Calls { get; private set; }

        public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
        {
            Calls++;
            int size = request.PayloadLength > 0 ? request.PayloadBuffer[request.PayloadOffset] : 1;
            for (int i = 0; i < size; i++)
            {
                _value[i] = (byte)Calls;
            }

            response.Code = CoapCode.Changed;
            response.SetPayload(_value, 0, size);
            return CoapHandlerResult.Respond;
        }
    }
}
