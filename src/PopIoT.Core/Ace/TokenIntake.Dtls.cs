using System;

using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;
using PopIoT.Core.Cwt;

namespace PopIoT.Core.Ace;

/// <summary>
/// The coap_dtls side of token intake (RFC 9202 §3.3–§3.4, PSK mode): a token posted to /authz-info in the clear is
/// stored with its PSK; one posted over a DTLS session updates that session's rights when it is for the same key; a
/// psk_identity names a stored token (the kid form) or carries the token, which meets the same checks as a post.
/// </summary>
public sealed partial class TokenIntake
{
    private readonly AceDtlsPskSource _dtls;

    /// <summary>Whether a key derivation key is set (RFC 9202 §3.3: the PSK of a token whose cnf has only a kid).</summary>
    internal bool HasDerivationKey
    {
        get { return _dtls != null && _dtls.HasDerivationKey; }
    }

    // The outcome for psk_identity intake, or null without coap_dtls: the one /authz-info uses (Outcome), as the
    // device's single loop never runs a handshake's intake and a post's at once, and a second one would cost a token's
    // workspace again.
    internal TokenIntakeOutcome IdentityOutcome
    {
        get { return _dtls == null ? null : Outcome; }
    }

    // The AS–RS key derivation key (IKM of RFC 9202 §3.3), copied; the previous one is erased.
    internal void SetDerivationKey(byte[] key)
    {
        _dtls.SetDerivationKey(key);
    }

    /// <summary>
    /// Takes in the psk_identity of a DTLS handshake (RFC 9202 §3.3.2). The kid form selects a stored coap_dtls token;
    /// any other identity is the access token itself, verified and stored as a POST to /authz-info would store it.
    /// On success <see cref="TokenIntakeOutcome.Slot"/> names the slot whose PSK the handshake uses. Allocates nothing.
    /// </summary>
    /// <param name="identity">The psk_identity bytes exactly as sent.</param>
    /// <param name="peer">The handshake's peer.</param>
    /// <param name="now">The engine's time.</param>
    /// <param name="outcome">Filled with the decision; its workspace is erased before the call returns.</param>
    public void ProcessIdentity(ByteRange identity, int peer, long now, TokenIntakeOutcome outcome)
    {
        outcome.Reset();
        try
        {
            AceRsError e = IdentityCore(identity, peer, now, outcome);
            if (e != AceRsError.None && outcome.Code == 0)
            {
                outcome.Reject(e);
            }
        }
        finally
        {
            outcome.Erase();
        }
    }

    private AceRsError IdentityCore(ByteRange identity, int peer, long now, TokenIntakeOutcome outcome)
    {
        if (_dtls == null)
        {
            return AceRsError.UnknownProfile;
        }

        if (AceDtlsIdentity.IsKidForm(identity))
        {
            AceDtlsIdentity parsed = _dtls.Identity;
            if (!parsed.ParseKid(identity, AceTokenTable.MaxPopIdLength))
            {
                return AceRsError.PskIdentityInvalid;
            }

            int slot = _table.FindPopId(identity.Buffer, parsed.KidOffset, parsed.KidLength, true);
            if (slot < 0)
            {
                return AceRsError.PskIdentityInvalid;
            }

            if (now >= _table.ExpiresAt(slot))
            {
                // RFC 9200 §5.10.3: an expired token authorises nothing, and goes.
                _lifecycle.ExpireAtAccess(slot);
                return AceRsError.TokenExpiredAtAccess;
            }

            outcome.Accept(AceDecisionKind.PskIdentityAccepted, slot);
            return AceRsError.None;
        }

        if (identity.Count > _settings.MaxTokenSize)
        {
            return AceRsError.TokenTooLarge;
        }

        AuthzInfoRequest a = outcome.Request;
        a.SetToken(identity);
        AceRsError v = Validate(a, outcome);
        if (v == AceRsError.None && AcePolicy.ProfileOf(outcome.Result.Claims, _settings) != AceProfile.CoapDtls)
        {
            // An OSCORE token gives no DTLS key.
            v = AceRsError.ProfileMismatch;
        }

        if (v == AceRsError.None && AceRpkKeyId.IsPublicKey(outcome.Result.Confirmation))
        {
            // RFC 9202 §3.2: an RPK-mode token gives no PSK; its key is proven in a raw-public-key handshake.
            v = AceRsError.UnsupportedConfirmation;
        }

        return v == AceRsError.None ? StoreOrUpdateDtls(peer, null, now, outcome) : v;
    }

    // A verified coap_dtls token from a POST to /authz-info.
    private void RunDtls(int peer, RequestSecurity security, long now, TokenIntakeOutcome outcome)
    {
        AceRsError e = StoreOrUpdateDtls(peer, security, now, outcome);
        if (e != AceRsError.None && outcome.Code == 0)
        {
            outcome.Reject(e);
        }
    }

    private AceRsError StoreOrUpdateDtls(int peer, RequestSecurity security, long now, TokenIntakeOutcome outcome)
    {
        RequestProtection protection = security == null ? RequestProtection.None : security.Protection;
        if (protection == RequestProtection.Oscore)
        {
            // A DTLS token gives no OSCORE context: it cannot update an OSCORE client's rights.
            return AceRsError.ProfileMismatch;
        }

        TokenIdentity(outcome);
        CwtConfirmation cnf = outcome.Result.Confirmation;
        bool rpk = AceRpkKeyId.IsPublicKey(cnf);
        int dup = _table.FindDigest(outcome.Digest);
        int held = rpk ? HeldRpk(outcome) : _table.FindPopId(cnf.Buffer, cnf.KidOffset, cnf.KidLength, true);
        if (protection == RequestProtection.Dtls)
        {
            return UpdateSession(security.Slot, dup, held, now, outcome);
        }

        if (dup >= 0)
        {
            // RFC 9200 §5.10.1: the same token again is not stored twice, and its exi counter is not restarted.
            outcome.Accept(AceDecisionKind.TokenDuplicate, dup);
            return AceRsError.None;
        }

        if (held >= 0)
        {
            // RFC 9202 §3.4: new rights for a key already held come over that key's session; in the clear anyone
            // could post them (e.g. to roll a client back to an older token).
            return AceRsError.UpdateNotProtected;
        }

        AceRsError e = _policy.CheckFreshness(outcome.Result);
        if (e != AceRsError.None)
        {
            return e;
        }

        // Everything the key needs is checked before a slot is chosen, so a refusal leaves the table as it was.
        int psk = rpk ? AceRpkKeyId.Length : PskOf(outcome);
        if (psk <= 0)
        {
            return psk == 0 ? AceRsError.UnsupportedConfirmation : AceRsError.ConfirmationInvalid;
        }

        long seq = _policy.Sequence(outcome.Result);
        if (!_freshness.Admit(seq))
        {
            return AceRsError.ExiStateUnavailable;
        }

        int slot = _lifecycle.FreeOrEvict(peer, now);
        if (slot < 0)
        {
            outcome.RejectUntil(AceRsError.TableFull, _table.SecondsUntilEvictable(now, _settings.EvictionProtectionSeconds));
            return AceRsError.TableFull;
        }

        _lifecycle.DropBurnt();
        if (_freshness.IsBurnt(seq))
        {
            // RFC 9200 §5.10.3: the evicted token was numbered at or above this one, so this one counts as expired.
            return AceRsError.TokenCtiReplayed;
        }

        _table.SetPopId(slot, cnf.Buffer, cnf.KidOffset, rpk ? 0 : cnf.KidLength);
        _table.SetDigest(slot, outcome.Digest);
        _table.SetPermissions(slot, outcome.Permissions);
        _lifecycle.SetLifetime(slot, outcome.Result, seq, now);
        EstablishDtlsKey(slot, rpk, new ByteRange(outcome.Salt, 0, psk));
        outcome.Accept(AceDecisionKind.TokenStored, slot);
        return AceRsError.None;
    }

    // RFC 9202 §3.4: a token posted over a session replaces that session's rights only when it is bound to the same key
    // (the same kid, and the same key bytes when it carries a key); a token for another key is refused.
    private AceRsError UpdateSession(int sessionSlot, int dup, int held, long now, TokenIntakeOutcome outcome)
    {
        if (sessionSlot < 0 || !_table.InUse(sessionSlot))
        {
            return AceRsError.NoTokenToUpdate;
        }

        if (dup >= 0)
        {
            if (dup != sessionSlot)
            {
                return AceRsError.UpdateFromWrongContext;
            }

            outcome.Accept(AceDecisionKind.TokenDuplicate, dup);
            return AceRsError.None;
        }

        CwtConfirmation cnf = outcome.Result.Confirmation;
        if (held != sessionSlot || (cnf.Method != CnfMethod.Kid && !AceRpkKeyId.IsPublicKey(cnf) && !_table.PskEquals(sessionSlot, new ByteRange(cnf.Buffer, cnf.SymmetricKeyOffset, cnf.SymmetricKeyLength))))
        {
            return AceRsError.UpdateFromWrongContext;
        }

        AceRsError e = _policy.CheckFreshness(outcome.Result);
        long seq = _policy.Sequence(outcome.Result);
        if (e == AceRsError.None && !AcePolicy.Supersedes(_table.ExiSequence(sessionSlot), seq))
        {
            e = AceRsError.TokenCtiReplayed;
        }

        if (e == AceRsError.None && !_freshness.Admit(seq))
        {
            e = AceRsError.ExiStateUnavailable;
        }

        if (e != AceRsError.None)
        {
            return e;
        }

        // The replaced token's number is burnt; the update's own exi counts from now (RFC 9200 §5.10.1.1).
        _freshness.Expired(_table.ExiSequence(sessionSlot));
        _table.SetPermissions(sessionSlot, outcome.Permissions);
        _table.SetDigest(sessionSlot, outcome.Digest);
        _lifecycle.SetLifetime(sessionSlot, outcome.Result, seq, now);
        _table.Touch(sessionSlot);
        _lifecycle.DropBurnt();
        outcome.Accept(AceDecisionKind.RightsUpdated, sessionSlot);
        return AceRsError.None;
    }

    // RFC 9202 §3.3: the PSK is the symmetric key in cnf (RFC 8747 §3.2–§3.3) or, for a cnf with only a kid (RFC 8747
    // §3.4), HKDF over the token as the AS sent it under the key derivation key. Written to the outcome's key workspace
    // (its Salt, which an OSCORE derivation would use and which is erased when the call returns); returns its length,
    // 0 when no key can be had (a kid without a derivation key), -1 when the key does not fit.
    private int PskOf(TokenIntakeOutcome outcome)
    {
        CwtConfirmation cnf = outcome.Result.Confirmation;
        if (cnf.Method == CnfMethod.Kid)
        {
            if (!_dtls.HasDerivationKey)
            {
                return 0;
            }

            AuthzInfoRequest a = outcome.Request;
            _dtls.Derive(new ByteRange(a.Buffer, a.TokenOffset, a.TokenLength), outcome.Salt);
            return AceDtlsPskSource.DerivedPskLength;
        }

        int n = cnf.SymmetricKeyLength;
        if (n < 1 || n > _table.MaxPskLength || n > outcome.Salt.Length)
        {
            return -1;
        }

        Array.Copy(cnf.Buffer, cnf.SymmetricKeyOffset, outcome.Salt, 0, n);
        return n;
    }

    private void DisposeDtls()
    {
        if (_dtls != null)
        {
            _dtls.Dispose();
        }
    }
}
