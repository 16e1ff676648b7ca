namespace PopIoT.Device;

/// <summary>
/// The device's runtime as the raw-public-key server reaches it (<see cref="Core.Device.DeviceRuntime"/>'s RPK members),
/// each call under the device's lock; after the device stopped every call does nothing and answers no.
/// </summary>
internal interface IRawPublicKeyDevice
{
    /// <summary>The peer number of a client whose handshake starts, or -1 (table full, or the client has a PSK session).</summary>
    int Admit(System.Net.IPEndPoint client);

    /// <summary>Whether a token has this key (x ‖ y) in cnf.</summary>
    bool Offered(int peer, byte[] xy);

    /// <summary>Binds the finished session to the key's token; false when none.</summary>
    bool Connected(int peer, byte[] xy);

    /// <summary>Runs the device's clock tick now: sessions whose token went are closed (RFC 9202 §3.4).</summary>
    void Tick();

    /// <summary>Whether the session may be evicted for a new one (Core's rule: not in use within the protection time).</summary>
    bool MayEvict(int peer);

    /// <summary>A CoAP message that arrived over the session.</summary>
    void Deliver(int peer, byte[] data, int count);

    /// <summary>The session ended.</summary>
    void Closed(int peer);
}
