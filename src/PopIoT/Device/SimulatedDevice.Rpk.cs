using System.Net;
using PopIoT.Core.Device;

namespace PopIoT.Device;

/// <summary>The simulated device's RPK mode (RFC 9202 §3.2; docs/ace-dtls.md, "RPK mode (desktop)").</summary>
public sealed partial class SimulatedDevice
{
    private readonly RawPublicKeyDtlsServer? _rpk;

    /// <summary>The raw-public-key server (with <see cref="SimulatedDeviceOptions.RpkKey"/>), or null.</summary>
    public RawPublicKeyDtlsServer? RawPublicKeys => _rpk;

    // The server sits in front of the runtime on the socket, and the runtime seals and closes through it.
    private RawPublicKeyDtlsServer? StartRawPublicKeys(SimulatedDeviceOptions options)
    {
        if (options.RpkKey == null)
        {
            return null;
        }

        var server = new RawPublicKeyDtlsServer(
            options.RpkKey,
            options.DtlsSessions,
            options.DtlsHandshakes,
            (int)Math.Clamp(options.RpkHandshakeTimeout.TotalMilliseconds, 1000, 600_000),
            new RawPublicKeyGate(this),
            options.Logger);
        _runtime.RawPublicKeySessions = server;
        _socket.RawPublicKeys = server;
        return server;
    }

    // Each call into the runtime under the device's lock; the loop's next wake-up is armed after it.
    private T UnderGate<T>(Func<DeviceRuntime, T> call, T stopped)
    {
        lock (_gate)
        {
            if (_disposed || !_runtime.IsRunning)
            {
                return stopped;
            }

            try
            {
                return call(_runtime);
            }
            finally
            {
                Wake();
            }
        }
    }

    private sealed class RawPublicKeyGate(SimulatedDevice device) : IRawPublicKeyDevice
    {
        public int Admit(IPEndPoint client)
        {
            var address = new DatagramAddress();
            byte[] bytes = client.Address.GetAddressBytes();
            address.Set(bytes, 0, bytes.Length, client.Port);
            return device.UnderGate(r => r.AdmitRawPublicKeyPeer(address), -1);
        }

        public bool Offered(int peer, byte[] xy) => device.UnderGate(r => r.RawPublicKeyOffered(peer, Core.ByteRange.Of(xy)), false);

        public bool Connected(int peer, byte[] xy) => device.UnderGate(r => r.RawPublicKeyConnected(peer, Core.ByteRange.Of(xy)), false);

        public void Tick() => device.Tick();

        public bool MayEvict(int peer) => device.UnderGate(r => r.MayEvictRawPublicKeySession(peer), false);

        public void Deliver(int peer, byte[] data, int count) => device.UnderGate(
            r =>
            {
                r.ReceiveOverRawPublicKeySession(peer, new Core.ByteRange(data, 0, count));
                return true;
            },
            false);

        public void Closed(int peer) => device.UnderGate(
            r =>
            {
                r.RawPublicKeySessionClosed(peer);
                return true;
            },
            false);
    }
}
