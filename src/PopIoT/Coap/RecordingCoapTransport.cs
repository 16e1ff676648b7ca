using System.Net;

namespace PopIoT.Coap;

/// <summary>
/// A transport that hands a copy of every datagram it sends to a callback, then sends it on: what an observer on the
/// path sees (the demo's replay step, tests that capture a protected request to resend it). Nothing is changed.
/// </summary>
/// <param name="inner">The transport that does the work (owned: disposed with this one).</param>
/// <param name="onSend">Called with the destination and a copy of each datagram, before it is sent.</param>
public sealed class RecordingCoapTransport(ICoapTransport inner, Action<IPEndPoint, byte[]> onSend) : ICoapTransport
{
    private readonly ICoapTransport _inner = inner ?? throw new ArgumentNullException(nameof(inner));
    private readonly Action<IPEndPoint, byte[]> _onSend = onSend ?? throw new ArgumentNullException(nameof(onSend));

    /// <inheritdoc/>
    public IPEndPoint LocalEndPoint => _inner.LocalEndPoint;

    /// <inheritdoc/>
    public long NowMs => _inner.NowMs;

    /// <inheritdoc/>
    public void Start(ICoapTransportSink sink) => _inner.Start(sink);

    /// <inheritdoc/>
    public void Send(IPEndPoint destination, ReadOnlySpan<byte> datagram)
    {
        _onSend(destination, datagram.ToArray());
        _inner.Send(destination, datagram);
    }

    /// <inheritdoc/>
    public void ScheduleWake(long atMs) => _inner.ScheduleWake(atMs);

    /// <inheritdoc/>
    public void Dispose() => _inner.Dispose();
}
