namespace PopIoT.Core.Device;

/// <summary>
/// What the runtime sends, after every turn of its loop and every notification: the message layer's outbox, each
/// message to a peer with a DTLS session sealed into that session (never in the clear), then the DTLS engine's outbox
/// (docs/firmware.md, "CoAP over DTLS").
/// </summary>
public sealed partial class DeviceRuntime
{
    private void Flush()
    {
        int length;
        int peer;
        while (_layer.TryTakeOutgoing(_datagram, 0, out length, out peer))
        {
            if (IsDtlsPeer(peer))
            {
                // The session protects it. A message for a session that closed since (a retransmitted notification)
                // goes nowhere: never in the clear.
                SendOverDtls(peer, length, _host.Clock.MonotonicMilliseconds);
            }
            else if (_dtlsLayer == null || (!_dtlsLayer.Engine.HasSession(peer) && !_peers.IsDtls(peer)))
            {
                // A message for a peer evicted since it was queued goes nowhere: its number is never reused.
                if (_peers.TryGetAddress(peer, _to))
                {
                    _host.Socket.Send(_to, _datagram, 0, length);
                }
            }
        }

        if (_dtlsLayer != null)
        {
            FlushDtls();
        }
    }
}
