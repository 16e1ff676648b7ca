using System.Net;
using PopIoT.Core.Oscore;

namespace PopIoT.Coap;

/// <summary>A request that OSCORE refused (RFC 8613 §8.2, §7.4): who sent it, why, and the kid it named.</summary>
/// <param name="Peer">The sender's address.</param>
/// <param name="Status">Why: context not found, decryption failed, replay, undecodable option, too large.</param>
/// <param name="Kid">The 'kid' of its OSCORE option (empty when there was none).</param>
/// <param name="PartialIv">Its Partial IV as a number (the Sender Sequence Number), or -1 when it had none.</param>
public sealed record OscoreRefusal(IPEndPoint? Peer, OscoreStatus Status, byte[] Kid, long PartialIv);
