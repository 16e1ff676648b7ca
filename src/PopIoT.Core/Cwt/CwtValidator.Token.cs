using PopIoT.Core.Cbor;
using PopIoT.Core.Cose;

namespace PopIoT.Core.Cwt;

/// <summary>
/// The validation of one token (RFC 8392 §7.2): its COSE layers, each removed with the one key configured for its type,
/// then its claims (audience, exi and cti, time) and its cnf.
/// </summary>
public sealed partial class CwtValidator
{
    private CwtError ValidateCore(byte[] token, int offset, int count, CwtValidationResult result)
    {
        int o;
        int n;

        // RFC 8392 §6: the CWT tag 61 is optional and, when present, precedes the COSE tag.
        bool cwtTag = CoseTag.PeelCwtTag(token, offset, count, out o, out n);
        int type = PeekType(token, o, n);
        if (type <= 0)
        {
            result.SetEnvelope(cwtTag, 0, 0, 0, 0);
            return result.Fail(CwtError.NotACwt, type == 0 ? CoseError.MissingTag : CoseError.WrongTag, 0);
        }

        // DESIGN.md §2: the RS's tokens come with one protection; another type is refused before any key is tried,
        // so a key held for another purpose (the cnf key, a second token key) never verifies a token.
        if (_protection != 0 && type != _protection)
        {
            result.SetEnvelope(cwtTag, type, 0, 0, 0);
            return result.Fail(CwtError.ProtectionNotAllowed, CoseError.None, 0);
        }

        CoseResult cose = result.Cose;
        CwtError e = Unprotect(type, token, o, n, result.Plaintext, cose);
        result.SetEnvelope(cwtTag, type, cose.Algorithm, 0, 0);
        if (e == CwtError.None && type == CoseTag.Encrypt0)
        {
            result.MarkDecrypted(cose.PayloadOffset + cose.PayloadLength);
        }

        if (e != CwtError.None)
        {
            return result.Fail(e, cose.Error, 0);
        }

        byte[] p = cose.Payload;
        int po = cose.PayloadOffset;
        int pl = cose.PayloadLength;
        bool encrypted = type == CoseTag.Encrypt0;

        // RFC 8392 §7.2 step 6: a payload that is a tag (not a claims map) is a nested CWT.
        if (pl > 0 && (p[po] >> 5) == (int)CborMajorType.Tag)
        {
            int io;
            int inl;
            CoseTag.PeelCwtTag(p, po, pl, out io, out inl);
            int inner = PeekType(p, io, inl);
            if (type != CoseTag.Encrypt0 || (inner != CoseTag.Mac0 && inner != CoseTag.Sign1))
            {
                return result.Fail(CwtError.NestingNotSupported, CoseError.None, 0);
            }

            int outerAlg = cose.Algorithm;
            e = Unprotect(inner, p, io, inl, null, cose);
            result.SetEnvelope(cwtTag, type, outerAlg, inner, cose.Algorithm);
            if (e != CwtError.None)
            {
                return result.Fail(e, cose.Error, 0);
            }

            p = cose.Payload;
            po = cose.PayloadOffset;
            pl = cose.PayloadLength;
        }

        CwtClaims claims = result.Claims;
        CwtConfirmation cnf = result.Confirmation;
        e = claims.ParseToken(new ByteRange(p, po, pl), cnf, encrypted);
        if (e != CwtError.None)
        {
            return result.Fail(e == CwtError.Malformed && pl > 0 && (p[po] >> 5) == (int)CborMajorType.Tag ? CwtError.NestingNotSupported : e, CoseError.None, claims.ErrorClaim);
        }

        for (int i = 0; i < _required.Length; i++)
        {
            if (!claims.Has(_required[i]))
            {
                return result.Fail(CwtError.MissingClaim, CoseError.None, _required[i]);
            }
        }

        // RFC 9200 §5.10.1.1: the RS must be the token's audience (DESIGN.md §2, token redirect).
        if (_audience != null)
        {
            if (!claims.Has(CwtClaimKey.Aud))
            {
                return result.Fail(CwtError.MissingClaim, CoseError.None, CwtClaimKey.Aud);
            }

            if (!claims.AudienceContains(_audience, 0, _audience.Length))
            {
                return result.Fail(CwtError.AudienceMismatch, CoseError.None, CwtClaimKey.Aud);
            }
        }

        bool hasExi = claims.Has(CwtClaimKey.Exi);

        // RFC 9200 §5.10.3: a token with exi MUST carry cti (the AS's sequence number for this RS).
        if (hasExi && !claims.Has(CwtClaimKey.Cti))
        {
            return result.Fail(CwtError.MissingClaim, CoseError.None, CwtClaimKey.Cti);
        }

        long now;
        bool hasTime = _clock.TryGetUnixTime(out now);
        if (hasTime)
        {
            // RFC 7519 §4.1.4: expired when now ≥ exp + skew; an exp + skew past long.MaxValue never expires.
            long exp = claims.Expiration;
            if (claims.Has(CwtClaimKey.Exp) && exp <= long.MaxValue - _skew && now >= exp + _skew)
            {
                return result.Fail(CwtError.Expired, CoseError.None, CwtClaimKey.Exp);
            }

            // RFC 7519 §4.1.5: not yet valid when now < nbf − skew; an nbf − skew below long.MinValue is always met.
            long nbf = claims.NotBefore;
            if (claims.Has(CwtClaimKey.Nbf) && nbf >= long.MinValue + _skew && now < nbf - _skew)
            {
                return result.Fail(CwtError.NotYetValid, CoseError.None, CwtClaimKey.Nbf);
            }

            if (RequireExpiry && !claims.Has(CwtClaimKey.Exp) && !hasExi)
            {
                return result.Fail(CwtError.MissingClaim, CoseError.None, CwtClaimKey.Exp);
            }
        }
        else if (!hasExi)
        {
            // RFC 9200 §5.10.3: without a clock, exi is the only expiry the RS can enforce.
            return result.Fail(CwtError.NoExiWithoutClock, CoseError.None, CwtClaimKey.Exi);
        }

        // RFC 8747 §3.1: the cnf map the claims pass read, judged (and an Encrypted_COSE_Key decrypted) after the checks above.
        if (claims.Has(CwtClaimKey.Cnf))
        {
            e = cnf.Finish(_cnfDecryptor);
            if (e != CwtError.None)
            {
                return result.Fail(e, cnf.CoseError, CwtClaimKey.Cnf);
            }
        }

        result.Succeed(hasTime ? now : -1, hasExi ? claims.Exi : -1);
        return CwtError.None;
    }

    private CwtError Unprotect(int type, byte[] message, int offset, int count, byte[] plaintext, CoseResult cose)
    {
        CoseError ce;
        if (type == CoseTag.Mac0)
        {
            if (_mac0 == null)
            {
                return CwtError.UnexpectedMessageType;
            }

            ce = _mac0.Verify(message, offset, count, null, 0, 0, cose);
        }
        else if (type == CoseTag.Sign1)
        {
            if (_sign1 == null)
            {
                return CwtError.UnexpectedMessageType;
            }

            ce = _sign1.Verify(message, offset, count, null, 0, 0, cose);
        }
        else
        {
            if (_encrypt0 == null || plaintext == null)
            {
                return _encrypt0 == null ? CwtError.UnexpectedMessageType : CwtError.NestingNotSupported;
            }

            ce = _encrypt0.Decrypt(new ByteRange(message, offset, count), default(ByteRange), ByteRange.Of(plaintext), cose);
            if (ce == CoseError.PlaintextBufferTooSmall)
            {
                return CwtError.LimitExceeded;
            }
        }

        return ce == CoseError.None ? CwtError.None : CwtError.CoseFailed;
    }

    // RFC 8392 §7.2 step 2: the COSE tag names the type (0xd0..0xd2 are tags 16..18 in preferred
    // form). Returns the type, 0 for an untagged array, -1 for anything else.
    private int PeekType(byte[] buffer, int offset, int count)
    {
        if (count < 1)
        {
            return -1;
        }

        int b = buffer[offset];
        if (b >= 0xd0 && b <= 0xd2)
        {
            return b - 0xc0;
        }

        if ((b >> 5) == (int)CborMajorType.Array)
        {
            return _untagged;
        }

        return -1;
    }
}
