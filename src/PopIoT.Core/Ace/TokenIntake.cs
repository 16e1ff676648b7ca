using System;

using PopIoT.Core.Crypto;
using PopIoT.Core.Cwt;
using PopIoT.Core.Oscore;

namespace PopIoT.Core.Ace;

/// <summary>
/// Token intake as a function (RFC 9200 §5.10.1, RFC 9203 §4.1–§4.3): the body of a POST to /authz-info (the token, or
/// the token with nonce1 and ace_client_recipientid), who sent it and how it was protected in; a
/// <see cref="TokenIntakeOutcome"/> out. It verifies the token (<see cref="CwtValidator"/>), checks it
/// (<see cref="AcePolicy"/>), and stores it with its derived OSCORE context, re-posts it idempotently, or updates a
/// context's rights. It knows no CoAP message, so a DTLS handshake can hand it a token taken from a psk_identity
/// (RFC 9202 §3.2.1). No state passes between its steps except through the outcome the caller gives it.
/// </summary>
public sealed partial class TokenIntake
{
    private readonly AceRsSettings _settings;
    private readonly ICryptoProvider _provider;
    private readonly CwtValidator _validator;
    private readonly AceTokenTable _table;
    private readonly AceTokenLifecycle _lifecycle;
    private readonly AcePolicy _policy;
    private readonly AceFreshness _freshness;
    private readonly IHash _sha;

    internal TokenIntake(AceRsSettings settings, ICryptoProvider provider, CwtValidator validator, AceTokenTable table, AceTokenLifecycle lifecycle, AcePolicy policy)
    {
        _settings = settings;
        _provider = provider;
        _validator = validator;
        _table = table;
        _lifecycle = lifecycle;
        _policy = policy;
        _freshness = lifecycle.Freshness;
        _sha = provider.CreateSha256();
        _dtls = settings.ServesDtls ? new AceDtlsPskSource(settings.MaxTokenSize) : null;
        Outcome = new TokenIntakeOutcome(settings);
    }

    /// <summary>Takes in one /authz-info body. Allocates nothing; never throws for bad input.</summary>
    /// <param name="body">The application/ace+cbor body (RFC 9203 §4.1).</param>
    /// <param name="peer">Who sent it (rate limits and the decision log name it).</param>
    /// <param name="security">How it arrived: null or unprotected for a new token, or the OSCORE binding of the context a
    /// rights update came over (RFC 9203 §4.1).</param>
    /// <param name="now">The engine's time.</param>
    /// <param name="outcome">Filled with the decision; its workspace is erased before the call returns.</param>
    public void Process(ByteRange body, int peer, RequestSecurity security, long now, TokenIntakeOutcome outcome)
    {
        outcome.Reset();
        try
        {
            Run(body, false, peer, security, now, outcome);
        }
        finally
        {
            outcome.Erase();
        }
    }

    /// <summary>
    /// Takes in one application/cwt body of a POST to /authz-info: the token itself (RFC 9200 §5.10.1), as RFC 9202 §3.3
    /// posts a coap_dtls token. A coap_oscore token is refused with <see cref="AceRsError.AceCborRequired"/> (RFC 9203
    /// §4.1). Allocates nothing; never throws for bad input.
    /// </summary>
    /// <param name="token">The body: the CWT.</param>
    /// <param name="peer">Who sent it.</param>
    /// <param name="security">How it arrived (null or unprotected, or the DTLS binding of the session it came over).</param>
    /// <param name="now">The engine's time.</param>
    /// <param name="outcome">Filled with the decision; its workspace is erased before the call returns.</param>
    public void ProcessToken(ByteRange token, int peer, RequestSecurity security, long now, TokenIntakeOutcome outcome)
    {
        outcome.Reset();
        try
        {
            Run(token, true, peer, security, now, outcome);
        }
        finally
        {
            outcome.Erase();
        }
    }

    // The engine's own outcome, for /authz-info (and psk_identity intake): one call at a time on the device's loop.
    internal TokenIntakeOutcome Outcome { get; }

    internal void Dispose()
    {
        _sha.Dispose();
        DisposeDtls();
    }

    private void Run(ByteRange body, bool bareToken, int peer, RequestSecurity security, long now, TokenIntakeOutcome outcome)
    {
        AuthzInfoRequest a = outcome.Request;
        AceRsError e = bareToken ? a.ParseToken(body.Buffer, body.Offset, body.Count) : a.Parse(body.Buffer, body.Offset, body.Count);
        if (bareToken && !_settings.ServesDtls)
        {
            // RFC 9203 §4.1: without coap_dtls every token is posted as application/ace+cbor.
            e = AceRsError.UnsupportedContentFormat;
        }

        if (e == AceRsError.None && a.TokenLength > _settings.MaxTokenSize)
        {
            e = AceRsError.TokenTooLarge;
        }

        // RFC 9203 §4.1 for an OSCORE token; a coap_dtls token takes its own path once verified (RFC 9202 §3.3–§3.4).
        RequestProtection protection = security == null ? RequestProtection.None : security.Protection;
        int protectingSlot = protection == RequestProtection.Oscore ? security.Slot : -1;
        bool validated = false;
        if (e == AceRsError.None && _settings.ServesDtls && (protection == RequestProtection.Dtls || !a.HasNonces))
        {
            // Only the verified token says its profile; an OSCORE token is not verified twice.
            e = Validate(a, outcome);
            validated = e == AceRsError.None;
            if (e == AceRsError.None && AcePolicy.ProfileOf(outcome.Result.Claims, _settings) == AceProfile.CoapDtls)
            {
                RunDtls(peer, security, now, outcome);
                return;
            }

            if (e == AceRsError.None && protection == RequestProtection.Dtls)
            {
                // An OSCORE token gives no DTLS key: it cannot update a session's rights.
                e = AceRsError.ProfileMismatch;
            }
        }

        if (e == AceRsError.None && bareToken)
        {
            // RFC 9203 §4.1: a coap_oscore token travels in application/ace+cbor, with nonce1 and ace_client_recipientid
            // for a new context or alone for an update; a bare CWT carries neither.
            e = AceRsError.AceCborRequired;
        }

        // RFC 9203 §4.1: a token received over OSCORE is an update of access rights, and the RS MUST ignore any nonce
        // and identifiers sent with it; only a POST in the clear with nonces sets up a new context.
        bool newContext = a.HasNonces && protectingSlot < 0;
        if (e == AceRsError.None && newContext)
        {
            e = CheckNonces(a);
        }

        // RFC 9200 §5.10.1.1: the token is verified first; only then is it known which token it is (its identity).
        if (e == AceRsError.None && !validated)
        {
            e = Validate(a, outcome);
        }

        if (e != AceRsError.None)
        {
            outcome.Reject(e);
            return;
        }

        TokenIdentity(outcome);
        int dup = _table.FindDigest(outcome.Digest);
        if (dup >= 0 && protectingSlot >= 0 && protectingSlot != dup)
        {
            outcome.Reject(AceRsError.UpdateFromWrongContext);
            return;
        }

        if (dup >= 0 && !newContext)
        {
            // RFC 9200 §5.10.1: the same token again is not stored twice, and its exi counter is not restarted.
            outcome.Accept(AceDecisionKind.TokenDuplicate, dup);
            return;
        }

        e = dup >= 0 ? AceRsError.None : _policy.CheckFreshness(outcome.Result);
        if (e == AceRsError.None && !newContext)
        {
            // RFC 9203 §4.1: an update is protected with the OSCORE context of the token it updates; sent in the
            // clear it could come from anyone, e.g. to roll a client back to an older token.
            e = protectingSlot < 0 ? AceRsError.UpdateNotProtected : UpdateRights(protectingSlot, now, outcome);
        }
        else if (e == AceRsError.None)
        {
            // RFC 9203 §4.1: a POST in the clear with nonces sets up a new context; a kid names key material this RS
            // already holds, from which no context can be derived.
            e = outcome.Result.Confirmation.Method == CnfMethod.Kid ? AceRsError.UnsupportedConfirmation : StoreNew(peer, dup, now, outcome);
        }

        if (e != AceRsError.None && outcome.Code == 0)
        {
            outcome.Reject(e);
        }
    }

    private AceRsError CheckNonces(AuthzInfoRequest a)
    {
        if (a.Nonce1Length < _settings.MinNonce1Length || a.Nonce1Length > AceOscoreSetup.MaxInputLength)
        {
            return AceRsError.InvalidNonce1;
        }

        // RFC 8613 §3.3: an ID is at most nonce length − 6 = 7 bytes for the AES-CCM-16 algorithms.
        return a.ClientRecipientIdLength > 7 ? AceRsError.InvalidClientRecipientId : AceRsError.None;
    }

    private AceRsError Validate(AuthzInfoRequest a, TokenIntakeOutcome outcome)
    {
        CwtError ce = _validator.Validate(a.Buffer, a.TokenOffset, a.TokenLength, outcome.Result);
        if (ce != CwtError.None)
        {
            return AceRsErrors.FromCwt(ce, outcome.Result.CoseError, outcome.Result.Claim);
        }

        return _policy.CheckToken(outcome.Result, outcome.Permissions, AcePolicy.ProfileOf(outcome.Result.Claims, _settings), _settings.ServesDtls ? _settings.MaxPskLength : 0, _settings.ServesRpk);
    }

    // RFC 9200 §5.10.1.1: a token is known by what its protection covers, its claims (decrypted for Encrypt0, the inner
    // payload when nested). Bytes outside them (the unprotected header, a CWT tag) can change on the way without
    // making it another token, so they can neither dodge the duplicate check nor restart its exi counter.
    private void TokenIdentity(TokenIntakeOutcome outcome)
    {
        CwtClaims c = outcome.Result.Claims;
        _sha.Reset();
        _sha.Update(c.Buffer, c.MapOffset, c.MapLength);
        _sha.Final(outcome.Digest, 0);
    }

    // RFC 9203 §4.1: a token without nonces for a PoP key already bound to a context updates that context's rights.
    private AceRsError UpdateRights(int protectingSlot, long now, TokenIntakeOutcome outcome)
    {
        ByteRange id = PopId(outcome.Result.Confirmation);
        int slot = _table.FindPopId(id.Buffer, id.Offset, id.Count);
        if (slot < 0)
        {
            return AceRsError.NoTokenToUpdate;
        }

        if (protectingSlot != slot)
        {
            return AceRsError.UpdateFromWrongContext;
        }

        long seq = _policy.Sequence(outcome.Result);
        if (!AcePolicy.Supersedes(_table.ExiSequence(slot), seq))
        {
            return AceRsError.TokenCtiReplayed;
        }

        // docs/ace-rs.md, "Persistence": the number is in storage before the token is taken.
        if (!_freshness.Admit(seq))
        {
            return AceRsError.ExiStateUnavailable;
        }

        // The replaced token's number is burnt; the update's own exi counts from now, when the RS first verified it
        // (RFC 9200 §5.10.1.1), and no earlier token can come back to restart anything.
        _freshness.Expired(_table.ExiSequence(slot));
        _table.SetPermissions(slot, outcome.Permissions);
        _table.SetDigest(slot, outcome.Digest);
        _lifecycle.SetLifetime(slot, outcome.Result, seq, now);
        _table.Touch(slot);
        outcome.Result.Clear();
        _lifecycle.DropBurnt();
        outcome.Accept(AceDecisionKind.RightsUpdated, slot);
        return AceRsError.None;
    }

    // RFC 9203 §4.2–§4.3: pick nonce2 and a Recipient ID, derive the context, answer 2.01.
    private AceRsError StoreNew(int peer, int duplicate, long now, TokenIntakeOutcome outcome)
    {
        AuthzInfoRequest a = outcome.Request;
        long seq = _policy.Sequence(outcome.Result);
        ByteRange id = PopId(outcome.Result.Confirmation);
        int slot = duplicate;
        if (slot < 0)
        {
            // A new token with nonces for a PoP key already held replaces that slot (one context per key).
            slot = _table.FindPopId(id.Buffer, id.Offset, id.Count);
            if (slot >= 0 && !AcePolicy.Supersedes(_table.ExiSequence(slot), seq))
            {
                return AceRsError.TokenCtiReplayed;
            }
        }

        int serverId = _table.PickServerId(a.Buffer, a.ClientRecipientIdOffset, a.ClientRecipientIdLength, slot);
        if (serverId < 0)
        {
            return AceRsError.NoRecipientIdAvailable;
        }

        _provider.Random.GetBytes(outcome.Nonce2, 0, outcome.Nonce2.Length);
        outcome.ServerId[0] = (byte)serverId;

        // Check everything the derivation needs before a slot is chosen, so a refusal leaves the table as it was.
        if (!PrepareDerivation(outcome))
        {
            return AceRsError.ConfirmationInvalid;
        }

        // docs/ace-rs.md, "Persistence": the number is in storage before the token is taken, so a reboot burns it.
        if (!_freshness.Admit(seq))
        {
            return AceRsError.ExiStateUnavailable;
        }

        if (slot < 0)
        {
            slot = _lifecycle.FreeOrEvict(peer, now);
            if (slot < 0)
            {
                outcome.RejectUntil(AceRsError.TableFull, _table.SecondsUntilEvictable(now, _settings.EvictionProtectionSeconds));
                return AceRsError.TableFull;
            }
        }
        else if (duplicate < 0)
        {
            // The previous token for this PoP key goes, with its context and keys, and its exi number is burnt.
            _lifecycle.Replace(slot);
        }

        _lifecycle.DropBurnt();
        if (duplicate < 0 && _freshness.IsBurnt(seq))
        {
            // RFC 9200 §5.10.3: the evicted token was numbered at or above this one, so this one counts as expired.
            return AceRsError.TokenCtiReplayed;
        }

        if (duplicate < 0)
        {
            _table.SetPopId(slot, id.Buffer, id.Offset, id.Count);
            _table.SetDigest(slot, outcome.Digest);
            _table.SetPermissions(slot, outcome.Permissions);
            _lifecycle.SetLifetime(slot, outcome.Result, seq, now);
        }

        Establish(slot, outcome);
        AuthzInfoResponse.Encode(outcome.Nonce2, 0, outcome.Nonce2.Length, outcome.ServerId, 0, 1, outcome.Writer);
        outcome.Accept(duplicate >= 0 ? AceDecisionKind.TokenDuplicate : AceDecisionKind.TokenStored, slot);
        return AceRsError.None;
    }

    // RFC 9203 §4.3: the slot's context is derived in place (for a re-posted token this replaces and erases the
    // previous keys): Sender ID = ace_client_recipientid, Recipient ID = ace_server_recipientid. No allocation.
    private void Establish(int slot, TokenIntakeOutcome outcome)
    {
        AuthzInfoRequest a = outcome.Request;
        CwtConfirmation cnf = outcome.Result.Confirmation;
        byte[] cb = cnf.Buffer;
        bool material = cnf.Method == CnfMethod.OscoreInputMaterial;
        OscoreInputMaterial m = cnf.Oscore;
        _table.Establish(
            slot,
            new ByteRange(cb, material ? m.MasterSecretOffset : cnf.SymmetricKeyOffset, material ? m.MasterSecretLength : cnf.SymmetricKeyLength),
            new ByteRange(outcome.Salt, 0, outcome.SaltLength),
            new ByteRange(a.Buffer, a.ClientRecipientIdOffset, a.ClientRecipientIdLength),
            new ByteRange(outcome.ServerId, 0, 1),
            material && m.ContextIdLength >= 0 ? new ByteRange(cb, m.ContextIdOffset, m.ContextIdLength) : default(ByteRange),
            outcome.Algorithm);
    }

    // RFC 9203 §4.3: Master Salt = bstr .cbor salt | nonce1 | nonce2, the AEAD algorithm, and every input checked the
    // way SecurityContext would check it. False when the token's key material cannot make a context (an unsupported
    // alg, no Master Secret, IDs too long or equal, an oversized ID Context).
    private static bool PrepareDerivation(TokenIntakeOutcome outcome)
    {
        AuthzInfoRequest a = outcome.Request;
        CwtConfirmation cnf = outcome.Result.Confirmation;
        int saltOffset = 0;
        int saltLength = 0;
        int contextIdLength = -1;
        int alg = 0;
        int secretLength = cnf.SymmetricKeyLength;
        if (cnf.Method == CnfMethod.OscoreInputMaterial)
        {
            OscoreInputMaterial m = cnf.Oscore;
            secretLength = m.MasterSecretLength;
            if (m.SaltLength >= 0)
            {
                saltOffset = m.SaltOffset;
                saltLength = m.SaltLength;
            }

            contextIdLength = m.ContextIdLength;
            alg = m.Algorithm;
        }

        outcome.Algorithm = alg == 0 ? SecurityContext.DefaultAlgorithm : alg;
        if (!AceOscoreSetup.IsSupportedAead(outcome.Algorithm) || secretLength < 1 || a.Nonce1Length > AceOscoreSetup.MaxInputLength || saltLength > AceOscoreSetup.MaxInputLength)
        {
            return false;
        }

        try
        {
            SecurityContextDerivation.CheckInputs(outcome.Algorithm, new ByteRange(a.Buffer, a.ClientRecipientIdOffset, a.ClientRecipientIdLength), new ByteRange(outcome.ServerId, 0, 1), contextIdLength, false);
        }
        catch (ArgumentException)
        {
            return false;
        }

        outcome.SaltLength = AceOscoreSetup.BuildMasterSalt(new ByteRange(cnf.Buffer, saltOffset, saltLength), new ByteRange(a.Buffer, a.Nonce1Offset, a.Nonce1Length), new ByteRange(outcome.Nonce2, 0, outcome.Nonce2.Length), outcome.Salt, 0);
        return true;
    }

    private static ByteRange PopId(CwtConfirmation cnf)
    {
        return cnf.Method == CnfMethod.OscoreInputMaterial
            ? new ByteRange(cnf.Buffer, cnf.Oscore.IdOffset, cnf.Oscore.IdLength)
            : new ByteRange(cnf.Buffer, cnf.KidOffset, cnf.KidLength);
    }
}
