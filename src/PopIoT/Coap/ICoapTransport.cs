using System.Net;

namespace PopIoT.Coap;

/// <summary>
/// What a CoAP endpoint needs from its host (DESIGN.md §3): send datagrams, tell the time, and wake the endpoint at a
/// deadline. <see cref="UdpCoapTransport"/> does it with a socket and the monotonic clock; <see cref="LossyNetwork"/>
/// with an in-memory network and a virtual clock.
/// </summary>
public interface ICoapTransport : IDisposable
{
    /// <summary>The address the transport receives on.</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>Monotonic time in milliseconds.</summary>
    long NowMs { get; }

    /// <summary>Starts delivering datagrams and wake-ups to <paramref name="sink"/> (called once).</summary>
    /// <param name="sink">The endpoint.</param>
    void Start(ICoapTransportSink sink);

    /// <summary>Sends one datagram; never blocks for long and never calls the sink back synchronously.</summary>
    /// <param name="destination">Where to.</param>
    /// <param name="datagram">The bytes (copied before return).</param>
    void Send(IPEndPoint destination, ReadOnlySpan<byte> datagram);

    /// <summary>Asks for <see cref="ICoapTransportSink.OnTimer"/> at or soon after <paramref name="atMs"/>; a later call replaces it.</summary>
    /// <param name="atMs">The time, in <see cref="NowMs"/> terms, or <see cref="long.MaxValue"/> for none.</param>
    void ScheduleWake(long atMs);
}

/// <summary>The receiving side of an <see cref="ICoapTransport"/>.</summary>
public interface ICoapTransportSink
{
    /// <summary>A datagram arrived.</summary>
    /// <param name="source">The sender.</param>
    /// <param name="datagram">The bytes (valid only during the call).</param>
    void OnDatagram(IPEndPoint source, ReadOnlySpan<byte> datagram);

    /// <summary>A scheduled wake-up is due.</summary>
    void OnTimer();

    /// <summary>
    /// The network said <paramref name="destination"/> cannot be reached (an ICMP port or host unreachable for a
    /// datagram sent there, RFC 1122 §4.1.3.3): what waits for an answer from it can stop waiting.
    /// </summary>
    /// <param name="destination">The address the datagram was sent to.</param>
    /// <param name="reason">What the network said, e.g. "connection refused (ICMP port unreachable)".</param>
    /// <remarks>By default nothing happens: the requests time out as they would on a silent network.</remarks>
    void OnUnreachable(IPEndPoint destination, string reason)
    {
    }
}
