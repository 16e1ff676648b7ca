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

    /// <summary>A CoAP message that arrived over the session.</summary>
    void Deliver(int peer, byte[] data, int count);

    /// <summary>The session ended.</summary>
    void Closed(int peer);
}
