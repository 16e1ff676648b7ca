using System.Net;
using System.Net.Sockets;
using PopIoT.Core.Coap;

namespace PopIoT.Tests.Cli;

/// <summary>
/// A CoAP server written for one test on a raw UDP socket: every request is recorded (code, options, payload) and
/// answered piggybacked with what the test's script returns, so a test sees exactly what popiot put on the wire and
/// can answer as a strict peer would (aiocoap's 4.08 for a changed option set, RFC 7959 §2.4).
/// </summary>
internal sealed class ScriptedCoapPeer : IDisposable
{
    private readonly UdpClient _socket = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly Func<Received, int, CoapMessage?> _script;
    private readonly List<Received> _received = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <param name="script">Given the request and its index (0 for the first), fills a response (code, options, payload), or
    /// returns null to leave the datagram unanswered, as if it were lost (its retransmission runs the script again).</param>
    public ScriptedCoapPeer(Func<Received, int, CoapMessage?> script)
    {
        _script = script;
        _loop = Task.Run(LoopAsync);
    }

    public int Port => ((IPEndPoint)_socket.Client.LocalEndPoint!).Port;

    public IReadOnlyList<Received> Requests
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        var seen = new Dictionary<int, byte[]>();
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult r;
            try
            {
                r = await _socket.ReceiveAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            var m = new CoapMessage();
            if (m.Parse(r.Buffer, 0, r.Buffer.Length) != CoapParseError.None || !CoapCode.IsRequest(m.Code))
            {
                continue;
            }

            if (seen.TryGetValue(m.MessageId, out byte[]? again))
            {
                // A retransmission: the same answer again (RFC 7252 §4.5), not a second run of the script.
                await _socket.SendAsync(again, r.RemoteEndPoint);
                continue;
            }

            var request = Received.Of(m);
            int index;
            lock (_received)
            {
                index = _received.Count;
                _received.Add(request);
            }

            CoapMessage? response = _script(request, index);
            if (response == null)
            {
                continue;
            }

            response.Type = CoapMessageType.Acknowledgement;
            response.MessageId = m.MessageId;
            response.CopyTokenFrom(m);
            byte[] out1 = new byte[response.GetSerializedLength()];
            response.Serialize(out1, 0, out1.Length);
            seen[m.MessageId] = out1;
            await _socket.SendAsync(out1, r.RemoteEndPoint);
        }
    }

    /// <summary>A recorded request.</summary>
    internal sealed record Received(byte Code, IReadOnlyList<(int Number, byte[] Value)> Options, byte[] Payload)
    {
        public static Received Of(CoapMessage m)
        {
            var options = new List<(int, byte[])>();
            for (int i = 0; i < m.OptionCount; i++)
            {
                options.Add((m.GetOptionNumber(i), m.GetOptionBuffer(i).AsSpan(m.GetOptionOffset(i), m.GetOptionLength(i)).ToArray()));
            }

            byte[] payload = m.PayloadLength == 0 ? [] : m.PayloadBuffer.AsSpan(m.PayloadOffset, m.PayloadLength).ToArray();
            return new Received(m.Code, options, payload);
        }

        public bool Has(int number) => Options.Any(o => o.Number == number);

        public uint? Uint(int number)
        {
            foreach ((int n, byte[] v) in Options)
            {
                if (n == number)
                {
                    uint value = 0;
                    foreach (byte b in v)
                    {
                        value = (value << 8) | b;
                    }

                    return value;
                }
            }

            return null;
        }

        /// <summary>The options other than the block-wise ones, in order: what RFC 7959 §2.4 wants repeated.</summary>
        public string NonBlockOptions() => string.Join(
            ";",
            Options.Where(o => o.Number is not (CoapOptionNumber.Block1 or CoapOptionNumber.Block2 or CoapOptionNumber.Size1 or CoapOptionNumber.Size2))
                .Select(o => o.Number + "=" + Convert.ToHexString(o.Value)));
    }
}
