using PopIoT.Core.Dtls;

namespace PopIoT.Core.Device;

/// <summary>
/// The runtime's side of its DTLS engine (docs/firmware.md, "CoAP over DTLS"): the PSK store (RFC 9202 §3.3, the ACE
/// engine's token intake), the listener (application data into the message layer, the token bound when a handshake
/// finishes) and the eviction rule (sessions in use are kept). It reaches the ACE engine through the runtime, since a
/// configuration record read at start can replace the engine.
/// </summary>
internal sealed class DeviceDtlsLayer : IDtlsPskStore, IDtlsListener, IDtlsEvictionPolicy
{
    private readonly DeviceRuntime _runtime;

    public DeviceDtlsLayer(DeviceRuntime runtime)
    {
        _runtime = runtime;
    }

    public int FindKey(int peer, ByteRange identity, ByteRange key)
    {
        return _runtime.Engine.FindDtlsKey(peer, identity, key);
    }

    public void OnConnected(int peer)
    {
        _runtime.DtlsConnected(peer);
    }

    public void OnApplicationData(int peer, ByteRange data)
    {
        _runtime.DtlsApplicationData(peer, data);
    }

    public void OnClosed(int peer, int alert)
    {
        _runtime.DtlsClosed(peer, alert);
    }

    public bool MayEvict(int peer, long now)
    {
        return !_runtime.Engine.IsDtlsSessionKept(peer);
    }
}
