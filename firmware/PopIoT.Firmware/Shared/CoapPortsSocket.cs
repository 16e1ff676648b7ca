#nullable disable
using PopIoT.Core.Device;

namespace PopIoT.Firmware;

/// <summary>
/// The device runtime's one <see cref="IDatagramSocket"/> over a board's two UDP sockets, coap (5683) and coaps (5684,
/// RFC 7252 §6.2), when the board serves the coap_dtls profile (docs/firmware.md, "CoAP over DTLS"). The runtime
/// demultiplexes every datagram by its first byte (RFC 7983 §7), so both sockets feed it; a reply leaves by the same
/// rule: a DTLS record (first byte 20..63) from the coaps socket, anything else from the coap socket, so each client
/// hears from the port it spoke to without a table of who used which. nanoFramework's <c>Socket.Poll</c> waits on one
/// socket, so the wait alternates between the two in slices of <see cref="SliceMs"/>: a datagram on the other socket
/// waits at most one slice.
/// </summary>
public sealed class CoapPortsSocket : IDatagramSocket
{
    /// <summary>The longest a datagram waits while the other socket is polled.</summary>
    public const int SliceMs = 10;

    private readonly IDatagramSocket _coap;
    private readonly IDatagramSocket _coaps;
    private readonly IMillisecondCounter _counter;
    private bool _coapsFirst;

    /// <summary>Joins the two sockets.</summary>
    /// <param name="coap">The socket bound to the CoAP port.</param>
    /// <param name="coaps">The socket bound to the CoAP-over-DTLS port.</param>
    /// <param name="counter">The board's millisecond counter, for the overall timeout.</param>
    public CoapPortsSocket(IDatagramSocket coap, IDatagramSocket coaps, IMillisecondCounter counter)
    {
        _coap = coap;
        _coaps = coaps;
        _counter = counter;
    }

    /// <summary>Whether a datagram is a DTLS record by its first byte (RFC 7983 §7: 20..63).</summary>
    /// <param name="buffer">The datagram's array.</param>
    /// <param name="offset">Its first byte.</param>
    /// <param name="count">Its length.</param>
    /// <returns>True for a DTLS record.</returns>
    public static bool IsDtlsRecord(byte[] buffer, int offset, int count)
    {
        return count > 0 && buffer[offset] >= 20 && buffer[offset] <= 63;
    }

    /// <inheritdoc/>
    public int Receive(byte[] buffer, int offset, int count, int timeoutMs, DatagramAddress from)
    {
        long deadline = _counter.Milliseconds + (timeoutMs < 0 ? 0 : timeoutMs);
        while (true)
        {
            // Whichever waited last goes second, so a busy socket cannot starve the other.
            IDatagramSocket first = _coapsFirst ? _coaps : _coap;
            IDatagramSocket second = _coapsFirst ? _coap : _coaps;
            _coapsFirst = !_coapsFirst;
            int n = first.Receive(buffer, offset, count, 0, from);
            if (n >= 0)
            {
                return n;
            }

            long left = deadline - _counter.Milliseconds;
            n = second.Receive(buffer, offset, count, left <= 0 ? 0 : (left < SliceMs ? (int)left : SliceMs), from);
            if (n >= 0 || _counter.Milliseconds >= deadline)
            {
                return n;
            }
        }
    }

    /// <inheritdoc/>
    public bool Send(DatagramAddress to, byte[] buffer, int offset, int count)
    {
        return (IsDtlsRecord(buffer, offset, count) ? _coaps : _coap).Send(to, buffer, offset, count);
    }
}
