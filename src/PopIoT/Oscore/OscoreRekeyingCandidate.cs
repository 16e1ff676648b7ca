using PopIoT.Core.Oscore;

namespace PopIoT.Oscore;

/// <summary>
/// The context derived for a request #2 of RFC 8613 Appendix B.2 step 4, in the server's table until the request
/// verified under it (then it replaces the client's context) or did not (then it is erased).
/// </summary>
/// <param name="Kid">The client's 'kid' (its Sender ID).</param>
/// <param name="IdContext">The new ID Context, R2 || R3.</param>
/// <param name="Context">The derived context.</param>
/// <param name="Evicted">A context the table dropped to make room, or null.</param>
public sealed record OscoreRekeyingCandidate(byte[] Kid, byte[] IdContext, SecurityContext Context, SecurityContext? Evicted);
