using System.Diagnostics;
using System.Net;
using PopIoT.Coap;

namespace PopIoT.Cli.Bench.Suite;

/// <summary>
/// Times one DTLS 1.2 PSK handshake made by PopIoT's client: a <see cref="DtlsCoapTransport"/> over a fresh UDP socket
/// (the host every coaps:// request of <see cref="CoapClient"/> goes through), so each is a full handshake with the
/// cookie exchange (RFC 6347 §4.2.1). The time runs from the ClientHello leaving the socket to the first application_data
/// record leaving it: the client sends its queued CoAP GET the moment the server's Finished has verified (flight 6,
/// RFC 6347 §4.2.4), so that instant is the end of the handshake. The GET must then be answered, so a handshake whose
/// session does not carry data is an error, not a figure.
/// </summary>
internal static class DtlsHandshakeTimer
{
    // RFC 6347 §4.1: the record's first byte is its content type; 23 is application_data.
    private const byte ApplicationData = 23;

    // GET /time, CON, message ID 0x5001, token 0xB1 (RFC 7252 §3): built by hand, the transport carries bytes.
    private static readonly byte[] GetTime = [0x41, 0x01, 0x50, 0x01, 0xB1, 0xB4, (byte)'t', (byte)'i', (byte)'m', (byte)'e'];

    /// <summary>One handshake with <paramref name="server"/>; returns its duration in milliseconds.</summary>
    public static async Task<double> OnceAsync(IPEndPoint server, byte[] identity, byte[] psk, TimeSpan limit)
    {
        var timing = new TimingTransport(new UdpCoapTransport(new IPEndPoint(IPAddress.Loopback, 0), server));
        var answer = new AnswerSink();
        using var dtls = new DtlsCoapTransport(timing, new DtlsCoapTransportOptions { Identity = identity, Psk = psk });
        dtls.Start(answer);
        dtls.Send(server, GetTime);
        Task done = await Task.WhenAny(answer.Answered, Task.Delay(limit)).ConfigureAwait(false);
        if (done != answer.Answered)
        {
            throw new TimeoutException("no answer over DTLS from " + server + " within " + limit.TotalSeconds + " s");
        }

        await answer.Answered.ConfigureAwait(false);
        return timing.HandshakeMs;
    }

    private sealed class AnswerSink : ICoapTransportSink
    {
        private readonly TaskCompletionSource _answered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Answered => _answered.Task;

        public void OnDatagram(IPEndPoint source, ReadOnlySpan<byte> datagram) => _answered.TrySetResult();

        public void OnTimer()
        {
        }

        public void OnUnreachable(IPEndPoint destination, string reason) =>
            _answered.TrySetException(new InvalidOperationException("DTLS with " + destination + " failed: " + reason));
    }

    // Notes when the first datagram and the first application_data record left, around the real socket.
    private sealed class TimingTransport(ICoapTransport inner) : ICoapTransport
    {
        private long _first;
        private long _data;

        public IPEndPoint LocalEndPoint => inner.LocalEndPoint;

        public long NowMs => inner.NowMs;

        public double HandshakeMs => _first == 0 || _data == 0
            ? throw new InvalidOperationException("the handshake was not seen: no ClientHello or no application data left the socket")
            : Stopwatch.GetElapsedTime(_first, _data).TotalMilliseconds;

        public void Start(ICoapTransportSink sink) => inner.Start(sink);

        public void Send(IPEndPoint destination, ReadOnlySpan<byte> datagram)
        {
            long now = Stopwatch.GetTimestamp();
            if (_first == 0)
            {
                _first = now;
            }

            if (_data == 0 && datagram.Length > 0 && datagram[0] == ApplicationData)
            {
                _data = now;
            }

            inner.Send(destination, datagram);
        }

        public void ScheduleWake(long atMs) => inner.ScheduleWake(atMs);

        public void Dispose() => inner.Dispose();
    }
}
