using System;

namespace PopIoT.Core.Ace;

/// <summary>
/// The engine's face to a host DTLS layer that does raw public keys (RFC 7250), for the coap_dtls profile's RPK mode
/// (RFC 9202 §3.2; docs/ace-dtls.md, "RPK mode (desktop)"): the host does the elliptic-curve work and asks here whether
/// the client's key is the cnf of a token posted to /authz-info, then binds the session to that token when the
/// handshake finished. From then on the session is served exactly as a PSK session (<see cref="HandleDtlsRequest"/>,
/// <see cref="DtlsSessionHasToken"/>, <see cref="DtlsClosed"/>), keyed by the host's peer number.
/// </summary>
public sealed partial class AceResourceServer
{
    /// <summary>Whether this engine serves RPK mode (<see cref="AceRsSettings.ServesRpk"/>).</summary>
    public bool ServesRpk
    {
        get { return _settings.ServesRpk; }
    }

    /// <summary>
    /// Whether the raw public key a client presented in its handshake (its Certificate message, before it proved that it
    /// holds the private key) is the cnf of a valid coap_dtls token (RFC 9202 §3.2.1); when not, the host aborts the
    /// handshake. Nothing is bound yet: a client presenting someone else's key fails later, at CertificateVerify, and
    /// must not disturb the owner's session. Allocates nothing.
    /// </summary>
    /// <param name="peer">The handshake's peer (for the decision log).</param>
    /// <param name="xy">The key's x then y (32 bytes each).</param>
    /// <returns>True when a token is bound to the key.</returns>
    public bool DtlsRawPublicKeyOffered(int peer, ByteRange xy)
    {
        return FindRawPublicKey(peer, xy, true) >= 0;
    }

    /// <summary>
    /// The raw-public-key handshake with <paramref name="peer"/> finished (the client proved it holds the key): the
    /// session is bound to the token whose cnf is the key (RFC 9202 §3.2.1, one session per token: a session bound
    /// before loses it, and is closed on the next tick).
    /// </summary>
    /// <param name="peer">The session's peer.</param>
    /// <param name="xy">The key's x then y.</param>
    /// <returns>The slot bound, or -1 when no valid token has that key (any more): the host closes the session.</returns>
    public int DtlsRawPublicKeyConnected(int peer, ByteRange xy)
    {
        int slot = FindRawPublicKey(peer, xy, false);
        if (slot >= 0)
        {
            _table.BindSession(slot, peer);
            SessionProvedKey(slot);
        }

        return slot;
    }

    private int FindRawPublicKey(int peer, ByteRange xy, bool offered)
    {
        TokenIntakeOutcome o = _intake.IdentityOutcome;
        if (_disposed || o == null || !_settings.ServesRpk)
        {
            return -1;
        }

        try
        {
            _lifecycle.ExpireDue(_now);
            int slot = _intake.FindRawPublicKey(xy, _now, o);
            if (slot >= 0 && offered)
            {
                _log.Report(AceDecisionKind.RawPublicKeyAccepted, AceRsError.None, 0, peer, slot, 0, null);
            }
            else if (slot < 0)
            {
                _log.Report(AceDecisionKind.RawPublicKeyRefused, o.Error, 0, peer, -1, 0, null);
            }

            return slot;
        }
        catch (Exception)
        {
            // Defence in depth, as for requests: no key may take the device down.
            return -1;
        }
    }
}
