using Xunit;

namespace PopIoT.Interop.Tests.Peers;

/// <summary>
/// CoAP exchanges carried as raw records through a DTLS peer program (<see cref="StdioPeer"/>): as the client behind
/// openssl s_client or gnutls-cli (one request record, then its response record, in lock step), and as the server behind
/// openssl s_server (each request record read, its response written back). Block-wise transfer (RFC 7959) is done here
/// by hand, message by message, since the peers know nothing of CoAP.
/// </summary>
/// <param name="peer">The peer program.</param>
/// <param name="stream">Whether it writes records in pieces (gnutls-cli), so responses are framed by their content.</param>
internal sealed class RawCoapExchanges(StdioPeer peer, bool stream)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);
    private ushort _mid = 0x3A00;
    private byte _token;

    /// <summary>
    /// One CON request, its piggybacked response (RFC 7252 §5.2.1), checked to match the request; with a byte-stream peer
    /// (<paramref name="whole"/> given) the response is read until <paramref name="whole"/> accepts it.
    /// </summary>
    public async Task<RawCoap> RequestAsync(int code, string path, byte[] payload, Func<RawCoap, bool>? whole, params (int Number, byte[] Value)[] options)
    {
        ushort mid = _mid++;
        byte[] token = [0x51, 0xC0, _token++];
        peer.Write(RawCoap.Request(code, mid, token, path, payload, options).Encode());
        RawCoap response = stream ? await peer.ReadCoapAsync(whole ?? (_ => true), Limit) : await peer.ReadCoapAsync(Limit);
        Assert.True(response.Type == RawCoap.Ack && response.MessageId == mid && response.Token.AsSpan().SequenceEqual(token), "not the response to mid " + mid + ": " + response);
        return response;
    }

    /// <summary>PUT <paramref name="body"/> in Block1 blocks of 2^(szx+4) bytes (RFC 7959 §2.5): 2.31 Continue for each but the last.</summary>
    public async Task<RawCoap> PutBlockwiseAsync(string path, byte[] body, int szx)
    {
        int size = 16 << szx;
        int blocks = (body.Length + size - 1) / size;
        RawCoap? last = null;
        for (int num = 0; num < blocks; num++)
        {
            bool more = num < blocks - 1;
            byte[] slice = body.AsSpan(num * size, Math.Min(size, body.Length - (num * size))).ToArray();
            var options = new List<(int, byte[])> { (RawCoap.Block1, RawCoap.Block((uint)num, more, szx)) };
            if (num == 0)
            {
                options.Add((RawCoap.Size1, RawCoap.Uint((uint)body.Length)));
            }

            last = await RequestAsync(RawCoap.CodeOf(0, 3), path, slice, r => r.Has(RawCoap.Block1), [.. options]);
            (uint echoed, bool echoedMore, int echoedSzx) = RawCoap.ReadBlock(last.Option(RawCoap.Block1));
            Assert.True(echoed == (uint)num && echoedSzx == szx, "block " + num + " of the PUT answered with Block1 " + echoed + "/" + echoedSzx + ": " + last);
            if (more)
            {
                Assert.True(last.CodeText == "2.31" && echoedMore, "block " + num + " not continued: " + last);
            }
        }

        return last!;
    }

    /// <summary>
    /// GETs <paramref name="path"/> block by block (Block2, RFC 7959 §2.4) at the size the server chose; returns the body,
    /// which should have <paramref name="length"/> bytes (what frames the last block for a byte-stream peer).
    /// </summary>
    public async Task<byte[]> GetBlockwiseAsync(string path, int szx, int length)
    {
        var body = new List<byte>();
        uint num = 0;
        while (true)
        {
            int offset = body.Count;
            RawCoap r = await RequestAsync(RawCoap.CodeOf(0, 1), path, [], m => m.Has(RawCoap.Block2) && m.Payload.Length == Math.Min(16 << RawCoap.ReadBlock(m.Option(RawCoap.Block2)).Szx, length - offset), (RawCoap.Block2, RawCoap.Block(num, false, szx)));
            Assert.True(r.CodeText == "2.05", "block " + num + ": " + r);
            (uint got, bool more, int serverSzx) = RawCoap.ReadBlock(r.Option(RawCoap.Block2));
            Assert.Equal(num, got);
            body.AddRange(r.Payload);
            if (!more)
            {
                return [.. body];
            }

            // The server may pick a smaller size (RFC 7959 §2.4); later blocks are numbered at that size.
            num = (uint)(body.Count / (16 << serverSzx));
            szx = serverSzx;
        }
    }

    /// <summary>
    /// Observes <paramref name="path"/> (RFC 7641): registers with GET Observe 0, takes <paramref name="notifications"/>
    /// notifications (each with a larger Observe value and the registration's token; a CON one acknowledged), then
    /// deregisters with GET Observe 1 and the same token (§3.6), whose response carries no Observe. <paramref name="whole"/>
    /// frames each message for a byte-stream peer. Returns the payloads: the registration's and each notification's.
    /// </summary>
    /// <remarks>
    /// One write to the peer at a time, each after a message came back: two quick writes could be read as one record.
    /// </remarks>
    public async Task<List<byte[]>> ObserveAsync(string path, int notifications, Func<RawCoap, bool> whole)
    {
        RawCoap first = await RequestAsync(RawCoap.CodeOf(0, 1), path, [], whole, (RawCoap.Observe, RawCoap.Uint(0)));
        Assert.True(first.CodeText == "2.05" && first.Has(RawCoap.Observe), "not registered: " + first);
        var payloads = new List<byte[]> { first.Payload };
        uint last = RawCoap.ReadUint(first.Option(RawCoap.Observe));
        for (int i = 0; i < notifications; i++)
        {
            RawCoap n = await ReadAsync(whole);
            AssertNotification(n, first.Token);
            uint value = RawCoap.ReadUint(n.Option(RawCoap.Observe));
            Assert.True(value > last, "Observe " + value + " after " + last);
            last = value;
            payloads.Add(n.Payload);
            if (n.Type == RawCoap.Con && i < notifications - 1)
            {
                peer.Write(new RawCoap(RawCoap.Ack, 0, n.MessageId, [], [], []).Encode());  // empty ACK, RFC 7252 §4.2
            }
        }

        ushort mid = _mid++;
        peer.Write(RawCoap.Request(RawCoap.CodeOf(0, 1), mid, first.Token, path, [], (RawCoap.Observe, RawCoap.Uint(1))).Encode());
        while (true)
        {
            // A notification sent before the server read the deregistration may come first.
            RawCoap m = await ReadAsync(whole);
            if (m.Type == RawCoap.Ack && m.MessageId == mid)
            {
                Assert.True(m.CodeText == "2.05" && !m.Has(RawCoap.Observe) && m.Token.AsSpan().SequenceEqual(first.Token), "not deregistered: " + m);
                return payloads;
            }

            AssertNotification(m, first.Token);
        }
    }

    private static void AssertNotification(RawCoap n, byte[] token) =>
        Assert.True(n.Type is RawCoap.Con or 1 && n.CodeText == "2.05" && n.Has(RawCoap.Observe) && n.Token.AsSpan().SequenceEqual(token), "not a notification of the observation: " + n);

    private async Task<RawCoap> ReadAsync(Func<RawCoap, bool> whole) => stream ? await peer.ReadCoapAsync(whole, Limit) : await peer.ReadCoapAsync(Limit);

    /// <summary>As the server: reads the next request record and writes back the response <paramref name="answer"/> makes.</summary>
    public async Task<RawCoap> AnswerAsync(Func<RawCoap, RawCoap> answer)
    {
        RawCoap request = await peer.ReadCoapAsync(Limit);
        peer.Write(answer(request).Encode());
        return request;
    }
}
