using PopIoT.Core.Device;

namespace PopIoT.Device;

/// <summary>The simulated device's DTLS counts (docs/ace-dtls.md): Core's PSK engine and the host's RPK server together.</summary>
public sealed partial class SimulatedDevice
{
    /// <summary>Established DTLS sessions now, PSK (Core's engine) and RPK (<see cref="RawPublicKeys"/>); 0 without DTLS.</summary>
    public int DtlsSessionCount => Read(EstablishedPskSessions) + (_rpk?.SessionCount ?? 0);

    /// <summary>DTLS handshakes running now, PSK (Core's engine) and RPK (<see cref="RawPublicKeys"/>).</summary>
    public int DtlsHandshakeCount => Read(r => r.Dtls?.HandshakeCount ?? 0) + (_rpk?.Handshakes ?? 0);

    private static int EstablishedPskSessions(DeviceRuntime r)
    {
        int n = 0;
        for (int i = 0; r.Dtls != null && i < r.Dtls.SessionCapacity; i++)
        {
            n += r.Dtls.EstablishedPeerAt(i) >= 0 ? 1 : 0;
        }

        return n;
    }
}
