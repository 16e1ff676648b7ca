namespace PopIoT.AuthorizationServer.Storage;

/// <summary>
/// The OSCORE context the AS shares with one registered peer (a client, or an RS for introspection), provisioned at
/// registration (RFC 9203 §5), seen from the AS: the AS sends with <see cref="AsSenderId"/> and receives requests whose
/// kid is <see cref="PeerSenderId"/>, which is unique among all peers and so names the peer.
/// </summary>
/// <param name="AsSenderId">The AS's Sender ID (the peer's Recipient ID).</param>
/// <param name="PeerSenderId">The peer's Sender ID (the AS's Recipient ID), 1..7 bytes.</param>
/// <param name="MasterSecret">The Master Secret (RFC 8613 §3.1).</param>
/// <param name="MasterSalt">The Master Salt.</param>
/// <param name="Algorithm">The AEAD algorithm (10, AES-CCM-16-64-128, by default).</param>
/// <param name="IdContext">The ID Context (RFC 8613 §3.1), null until the client re-keys with the AS (Appendix B.2).</param>
public sealed record OscoreCredential(byte[] AsSenderId, byte[] PeerSenderId, byte[] MasterSecret, byte[] MasterSalt, int Algorithm, byte[]? IdContext = null);
