namespace PopIoT.Core.Device;

/// <summary>
/// The datagram socket a host supplies to the device runtime (docs/firmware.md): UDP through nanoFramework's
/// socket on a board, a UDP socket or the lossy in-memory network in the simulator. Blocking with a timeout, so that the
/// runtime needs no thread of its own: it waits for a datagram until its next timer is due.
/// </summary>
public interface IDatagramSocket
{
    /// <summary>Waits for one datagram and copies it into the caller's buffer.</summary>
    /// <param name="buffer">Where the datagram goes.</param>
    /// <param name="offset">The first byte to fill.</param>
    /// <param name="count">The room; a longer datagram is dropped (RFC 7252 §4.6: the runtime sizes its buffer to the path MTU).</param>
    /// <param name="timeoutMs">How long to wait at most, in milliseconds (0: do not wait).</param>
    /// <param name="from">Filled with the sender's address.</param>
    /// <returns>The datagram's length (0 or more), or -1 when none arrived within the timeout.</returns>
    int Receive(byte[] buffer, int offset, int count, int timeoutMs, DatagramAddress from);

    /// <summary>Sends one datagram.</summary>
    /// <param name="to">The destination.</param>
    /// <param name="buffer">The array holding the datagram.</param>
    /// <param name="offset">Where it starts.</param>
    /// <param name="count">Its length.</param>
    /// <returns>False when the datagram could not be handed to the network (CoAP's retransmission covers a loss either way).</returns>
    bool Send(DatagramAddress to, byte[] buffer, int offset, int count);
}
