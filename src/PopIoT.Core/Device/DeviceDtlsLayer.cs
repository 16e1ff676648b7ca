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

    // The engine and its buffers live here, not in the runtime, so a device that serves OSCORE only pays one null
    // reference for DTLS (docs/firmware.md, "Memory model": every field is a heap block).
    public DeviceDtlsLayer(DeviceRuntime runtime, DtlsSettings settings, PopIoT.Core.Crypto.ICryptoProvider crypto)
    {
        _runtime = runtime;
        Engine = new DtlsEngine(settings, crypto, this, this);
        Engine.EvictionPolicy = this;
        Out = new byte[settings.DatagramSize];
        CookieAddress = new byte[DatagramAddress.MaxAddressLength + 2];
    }

    public DtlsEngine Engine { get; }

    // The datagram the engine's outbox is drained into.
    public byte[] Out { get; }

    // The sender's address and port, which the cookie covers (RFC 6347 §4.2.1).
    public byte[] CookieAddress { get; }

    // Plain CoAP datagrams dropped because their sender has a DTLS session.
    public int PlainFromSessionPeers { get; set; }

    // The host's raw-public-key sessions (RFC 9202 §3.2, desktop only), or null.
    public IRawPublicKeySessions RawPublicKeys { get; set; }

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
