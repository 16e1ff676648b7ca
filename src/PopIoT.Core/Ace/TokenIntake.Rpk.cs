namespace PopIoT.Core.Ace;

/// <summary>
/// The RPK mode of the coap_dtls profile in token intake (RFC 9202 §3.2): a token whose cnf is the client's public key
/// is stored with the key's id (<see cref="AceRpkKeyId"/>) in place of a PSK, found again when a client presents that
/// key in a raw-public-key handshake (RFC 7250), and updated over that key's session like a PSK token.
/// </summary>
public sealed partial class TokenIntake
{
    /// <summary>
    /// The slot whose RPK-mode token's cnf is the key a handshake presented (x ‖ y, 64 bytes), valid now; -1 with the
    /// reason in <paramref name="outcome"/> otherwise. An expired token found so goes (RFC 9200 §5.10.3). Allocates nothing.
    /// </summary>
    /// <param name="xy">The presented key's x then y.</param>
    /// <param name="now">The engine's time.</param>
    /// <param name="outcome">The workspace, and the decision; erased before the call returns.</param>
    /// <returns>The slot, or -1.</returns>
    internal int FindRawPublicKey(ByteRange xy, long now, TokenIntakeOutcome outcome)
    {
        outcome.Reset();
        try
        {
            int slot = AceRpkKeyId.Compute(_sha, xy, outcome.Salt) ? _table.FindRpk(outcome.Salt) : -1;
            if (slot < 0)
            {
                outcome.Reject(AceRsError.RpkKeyUnknown);
                return -1;
            }

            if (now >= _table.ExpiresAt(slot))
            {
                _lifecycle.ExpireAtAccess(slot);
                outcome.Reject(AceRsError.TokenExpiredAtAccess);
                return -1;
            }

            outcome.Accept(AceDecisionKind.RawPublicKeyAccepted, slot);
            return slot;
        }
        finally
        {
            outcome.Erase();
        }
    }

    // The slot holding a token for the public key in cnf, with the key's id left in the outcome's workspace (Salt) for
    // the store that may follow; -1 when none.
    private int HeldRpk(TokenIntakeOutcome outcome)
    {
        AceRpkKeyId.Compute(_sha, outcome.Result.Confirmation, outcome.Salt);
        return _table.FindRpk(outcome.Salt);
    }

    // A new coap_dtls slot's key: the PSK (RFC 9202 §3.3), or the id of the client's public key (§3.2).
    private void EstablishDtlsKey(int slot, bool rpk, ByteRange key)
    {
        if (rpk)
        {
            _table.EstablishRpk(slot, key.Buffer);
        }
        else
        {
            _table.EstablishDtls(slot, key);
        }
    }
}
