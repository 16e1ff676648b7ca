namespace PopIoT.Core.Device;

/// <summary>
/// The DTLS sessions a host runs itself with raw public keys (RFC 7250; the coap_dtls profile's RPK mode, RFC 9202
/// §3.2), which Core cannot run: nanoFramework has no elliptic curves, so only a desktop host has them
/// (docs/ace-dtls.md, "RPK mode (desktop)"). The runtime seals what it sends to such a peer through this interface,
/// and closes a session whose token went. Each session is known by the runtime's peer number for its client.
/// </summary>
public interface IRawPublicKeySessions
{
    /// <summary>How many sessions the host holds at most (for <see cref="EstablishedPeerAt"/>).</summary>
    int SessionCapacity { get; }

    /// <summary>The peer of the established session at <paramref name="index"/> (0..<see cref="SessionCapacity"/> − 1), or -1.</summary>
    /// <param name="index">The index.</param>
    /// <returns>The peer number, or -1.</returns>
    int EstablishedPeerAt(int index);

    /// <summary>Whether <paramref name="peer"/> has an established raw-public-key session.</summary>
    /// <param name="peer">The peer number.</param>
    /// <returns>True while the session is open.</returns>
    bool IsEstablished(int peer);

    /// <summary>Seals one CoAP message into the peer's session and sends it; false when the session is gone.</summary>
    /// <param name="peer">The peer number.</param>
    /// <param name="buffer">The message.</param>
    /// <param name="offset">Where it starts.</param>
    /// <param name="count">Its length.</param>
    /// <returns>Whether it was taken.</returns>
    bool Send(int peer, byte[] buffer, int offset, int count);

    /// <summary>Closes the peer's session with close_notify (RFC 9202 §3.4: a session does not outlive its token); it is established no more from now on.</summary>
    /// <param name="peer">The peer number.</param>
    void Close(int peer);
}
