using System;

using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Core.Dtls;

namespace PopIoT.Core.Ace;

/// <summary>
/// The engine's face to a DTLS host for the coap_dtls profile in PSK mode (RFC 9202 §3.3–§3.4; docs/ace-dtls.md):
/// the PSK of a handshake from its psk_identity (<see cref="FindDtlsKey"/>, for an <see cref="IDtlsPskStore"/>), the
/// session bound to its token once the handshake finished, requests over the session authorised by that token alone,
/// and what the host must do when the token goes (close the session) or the table is full (keep sessions in use).
/// </summary>
public sealed partial class AceResourceServer
{
    /// <summary>Whether this engine serves the coap_dtls profile (<see cref="AceRsSettings.ServesDtls"/>).</summary>
    public bool ServesDtls
    {
        get { return _settings.ServesDtls; }
    }

    /// <summary>
    /// Sets the key derivation key the AS shares with this RS for coap_dtls tokens whose cnf carries only a kid
    /// (RFC 9202 §3.3, RFC 8747 §3.4): a symmetric key whose key_ops is exactly "derive key" (7), so it serves no other
    /// purpose (RFC 9052 §7.1). The bytes are copied; the key object stays the caller's.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <exception cref="ArgumentException">Not symmetric, 16..64 bytes, with key_ops [derive key] only; or the RS does not serve coap_dtls.</exception>
    public void SetDtlsKeyDerivationKey(CoseKey key)
    {
        if (!_settings.ServesDtls)
        {
            throw new ArgumentException("this RS does not serve coap_dtls: a key derivation key has no purpose on it");
        }

        if (key == null || key.KeyType != CoseKeyType.Symmetric || key.K == null || key.K.Length < 16 || key.K.Length > 64)
        {
            throw new ArgumentException("a key derivation key is a symmetric COSE_Key of 16..64 bytes");
        }

        if (!key.HasKeyOperations || !key.Permits(CoseKeyOperation.DeriveKey))
        {
            throw new ArgumentException("a key derivation key must have key_ops [derive key] (7) (RFC 9052 §7.1)");
        }

        for (int op = 1; op <= 10; op++)
        {
            if (op != CoseKeyOperation.DeriveKey && key.Permits(op))
            {
                throw new ArgumentException("a key derivation key serves that purpose only: key_ops must be exactly [derive key] (7)");
            }
        }

        _intake.SetDerivationKey(key.K);
    }

    /// <summary>Whether a key derivation key is set.</summary>
    public bool HasDtlsKeyDerivationKey
    {
        get { return _intake.HasDerivationKey; }
    }

    /// <summary>
    /// The PSK for a handshake's psk_identity (RFC 9202 §3.3.2), as <see cref="IDtlsPskStore.FindKey"/> answers: the
    /// kid form selects a stored coap_dtls token; any other identity is the token, taken in by the same intake as a
    /// POST to /authz-info. The slot is bound to the session only when the handshake finishes
    /// (<see cref="DtlsConnected"/>). Every refusal is illegal_parameter. Allocates nothing.
    /// </summary>
    /// <param name="peer">The handshake's peer (the host's number, the same the message layer uses).</param>
    /// <param name="identity">The psk_identity, opaque bytes.</param>
    /// <param name="key">Where the PSK goes.</param>
    /// <returns>The PSK length, or −<see cref="DtlsAlert.IllegalParameter"/>.</returns>
    public int FindDtlsKey(int peer, ByteRange identity, ByteRange key)
    {
        TokenIntakeOutcome o = _intake.IdentityOutcome;
        if (_disposed || o == null)
        {
            return -DtlsAlert.IllegalParameter;
        }

        try
        {
            _lifecycle.ExpireDue(_now);
            _intake.ProcessIdentity(identity, peer, _now, o);
            int n = o.Slot >= 0 ? _table.CopyPsk(o.Slot, key) : 0;
            if (n > 0)
            {
                _table.BeginHandshake(o.Slot, peer);
                _log.Report(o.Kind == AceDecisionKind.TokenStored || o.Kind == AceDecisionKind.TokenDuplicate ? AceDecisionKind.PskIdentityAccepted : o.Kind, AceRsError.None, 0, peer, o.Slot, 0, null);
                return n;
            }

            _log.Report(AceDecisionKind.PskIdentityRefused, o.Error == AceRsError.None ? AceRsError.PskIdentityInvalid : o.Error, 0, peer, -1, 0, null);
            return -DtlsAlert.IllegalParameter;
        }
        catch (Exception)
        {
            // Defence in depth, as for requests: no identity may take the device down.
            return -DtlsAlert.IllegalParameter;
        }
    }

    /// <summary>The handshake with <paramref name="peer"/> finished: its token is now bound to the session (RFC 9202 §3.4).</summary>
    /// <param name="peer">The session's peer.</param>
    /// <returns>The slot bound, or -1 when its token went while the handshake ran.</returns>
    public int DtlsConnected(int peer)
    {
        int slot = _table.Connected(peer);
        SessionProvedKey(slot);
        return slot;
    }

    // RFC 9202 §3.3: a finished handshake proved possession of the token's key, as a verified OSCORE request does
    // (RFC 8613 §8.2), so the new session is in use for the eviction rules, not idle until its first request.
    private void SessionProvedKey(int slot)
    {
        if (slot >= 0)
        {
            _table.Touch(slot);
            _table.Verified(slot, _now);
        }
    }

    /// <summary>The session or handshake with <paramref name="peer"/> ended; its token stays for a new handshake (kid form).</summary>
    /// <param name="peer">The session's peer.</param>
    public void DtlsClosed(int peer)
    {
        _table.Disconnected(peer);
    }

    /// <summary>
    /// Whether a valid token is bound to the session with <paramref name="peer"/> at engine time <paramref name="now"/>:
    /// when not, the host closes the session (RFC 9202 §3.4: a session does not outlive its token).
    /// </summary>
    /// <param name="peer">The session's peer.</param>
    /// <param name="now">The engine time (never less than <see cref="Now"/> is assumed).</param>
    /// <returns>True while the session is authorised by a token.</returns>
    public bool DtlsSessionHasToken(int peer, long now)
    {
        int slot = _table.SlotOfSession(peer);
        return slot >= 0 && (now > _now ? now : _now) < _table.ExpiresAt(slot);
    }

    /// <summary>
    /// Whether the session with <paramref name="peer"/> is kept from eviction: its token's slot proved possession (a
    /// request over the session) within <see cref="AceRsSettings.EvictionProtectionSeconds"/>, the rule the OSCORE
    /// slots follow (docs/ace-rs.md, "Admission"), so a flood of handshakes cannot push out sessions in use.
    /// </summary>
    /// <param name="peer">The session's peer.</param>
    /// <returns>True when the session must not be evicted.</returns>
    public bool IsDtlsSessionKept(int peer)
    {
        int slot = _table.SlotOfSession(peer);
        return slot >= 0 && _table.IsKept(slot, _now, _settings.EvictionProtectionSeconds);
    }

    /// <summary>
    /// Handles a request that arrived over the established DTLS session with <paramref name="session"/> (the host
    /// guarantees it: only its DTLS engine's application data reaches here). Authorised by the session's token alone
    /// (RFC 9202 §3.4); the response goes back over the same session. No exception escapes for bad input.
    /// </summary>
    /// <param name="session">The session's peer.</param>
    /// <param name="request">The request.</param>
    /// <param name="response">The response to fill.</param>
    /// <returns>How to answer.</returns>
    public CoapHandlerResult HandleDtlsRequest(int session, CoapMessage request, CoapMessage response)
    {
        if (_disposed || !_settings.ServesDtls)
        {
            response.Code = CoapCode.ServiceUnavailable;
            return CoapHandlerResult.Respond;
        }

        try
        {
            request.Security = null;
            _lifecycle.ExpireDue(_now);
            return _pipeline.HandleDtls(session, request, response);
        }
        catch (Exception)
        {
            response.ClearOptions();
            response.SetPayload(null, 0, 0);
            response.Code = CoapCode.InternalServerError;
            return CoapHandlerResult.Respond;
        }
    }

    /// <summary>
    /// Whether a notification of <paramref name="path"/> may go to an observation registered over the DTLS session
    /// <paramref name="session"/> at engine time <paramref name="now"/> (RFC 9200 §5.10.2–§5.10.3, the same rules as
    /// <see cref="CheckNotification"/>). The session protects it; nothing else is needed.
    /// </summary>
    /// <param name="session">The observation's session (<see cref="RequestSecurity.Session"/>).</param>
    /// <param name="path">The observed resource's path.</param>
    /// <param name="now">The engine time of the notification.</param>
    /// <returns>Allowed, or how the observation ends.</returns>
    public AceNotificationCheck CheckDtlsNotification(int session, string path, long now)
    {
        return _pipeline.CheckDtlsNotification(session, path, now > _now ? now : _now);
    }
}
