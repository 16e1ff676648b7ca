using PopIoT.Core.Coap;

namespace PopIoT.Core.Oscore;

/// <summary>
/// Protecting and verifying responses (RFC 8613 §8.3, §8.4), including the two answers a server protects on its own:
/// the Echo challenge (Appendix B.1.2) and the 4.02 Bad Option.
/// </summary>
public sealed partial class OscoreProcessor
{
    /// <summary>
    /// Protects a response (RFC 8613 §8.3). Without its own Partial IV the response reuses the request's nonce (§5.2);
    /// with it (always for Observe notifications, §4.1.3.5.2) it takes the next Sender Sequence Number. The AAD binds
    /// it to the request either way (§5.4).
    /// </summary>
    /// <param name="response">The unprotected response; protected in place.</param>
    /// <param name="exchange">The binding from <see cref="UnprotectRequest"/>.</param>
    /// <param name="includePartialIv">Whether to use a fresh Partial IV (forced when the response has Observe).</param>
    /// <returns>The status.</returns>
    public OscoreStatus ProtectResponse(CoapMessage response, OscoreExchange exchange, bool includePartialIv)
    {
        SecurityContext context = exchange.Context;
        if (!exchange.IsCurrent)
        {
            return OscoreStatus.SecurityContextNotFound;
        }

        OscoreStatus s = CheckProtectable(response);
        if (s != OscoreStatus.Ok)
        {
            return s;
        }

        bool observe = response.HasOption(CoapOptionNumber.Observe);
        int plainLength = BuildPlaintext(response, true);
        if (plainLength < 0)
        {
            return plainLength == -2 ? OscoreStatus.Unsupported : OscoreStatus.MessageTooLarge;
        }

        int optionLength = 0;
        if (includePartialIv || observe)
        {
            long sequenceNumber;
            if (!context.TryTakeSequenceNumber(out sequenceNumber))
            {
                return context.ReservationFailed ? OscoreStatus.SequenceNumberNotReserved : OscoreStatus.SequenceNumberExhausted;
            }

            int pivLength = OscoreNonce.EncodePartialIv(sequenceNumber, _piv, 0);
            var piv = new ByteRange(_piv, 0, pivLength);
            context.ComputeNonce(new ByteRange(context.Material, context.SenderIdOffset, context.SenderIdLength), piv, _nonce);
            optionLength = OscoreOption.Encode(piv, default(ByteRange), default(ByteRange), _optionOut, 0);
        }
        else
        {
            // RFC 8613 §5.2: without its own Partial IV a response uses the request's nonce.
            context.ComputeNonce(RequestKid(exchange), RequestPiv(exchange), _nonce);
        }

        int aadLength = BuildAad(context.Algorithm, RequestKid(exchange), RequestPiv(exchange));
        context.Encrypt(_nonce, new ByteRange(_plainOut, 0, plainLength), _cipherOut, 0, _cipherOut, plainLength, new ByteRange(_aad, 0, aadLength));

        // RFC 8613 §4.2: 2.04 Changed, or 2.05 Content for Observe notifications.
        Finish(response, observe ? CoapCode.Content : CoapCode.Changed, optionLength, plainLength + context.TagLength);
        return OscoreStatus.Ok;
    }

    /// <summary>
    /// Turns <paramref name="response"/> into the protected 4.01 with an Inner Echo option that asks the client to prove
    /// freshness (RFC 8613 Appendix B.1.2, RFC 9175 §2.4). It uses its own Partial IV: the request may be a replay, and
    /// reusing its nonce would then repeat a nonce under the server's key.
    /// </summary>
    /// <param name="response">The response (token already set); its options and payload are replaced.</param>
    /// <param name="exchange">The binding from a <see cref="OscoreStatus.FreshnessRequired"/> verification.</param>
    /// <returns>The status; <see cref="OscoreStatus.Unsupported"/> (nothing written) for a fixed table's context, which
    /// never needs freshness proven and keeps no Echo value.</returns>
    public OscoreStatus ProtectEchoChallenge(CoapMessage response, OscoreExchange exchange)
    {
        SecurityContext context = exchange.Context;
        if (!exchange.IsCurrent)
        {
            return OscoreStatus.SecurityContextNotFound;
        }

        if (!context.EnsureEcho())
        {
            return OscoreStatus.Unsupported;
        }

        response.ClearOptions();
        response.SetPayload(null, 0, 0);
        response.Code = CoapCode.Unauthorized;
        response.AddOption(CoapOptionNumber.Echo, context.Material, context.EchoOffset, SecurityContext.EchoLength);
        return ProtectResponse(response, exchange, true);
    }

    /// <summary>
    /// Turns <paramref name="response"/> into the protected 4.02 Bad Option that answers a request verified with
    /// <see cref="OscoreStatus.UnrecognizedCriticalOption"/> (RFC 8613 §8.2 step 8, RFC 7252 §5.4.1), with a diagnostic
    /// payload. The request was fresh (its Partial IV entered the replay window), so the response reuses its nonce (§5.2).
    /// </summary>
    /// <param name="response">The response (token already set); its options and payload are replaced.</param>
    /// <param name="exchange">The binding from that verification.</param>
    /// <returns>The status.</returns>
    public OscoreStatus ProtectBadOption(CoapMessage response, OscoreExchange exchange)
    {
        response.ClearOptions();
        response.Code = CoapCode.BadOption;
        byte[] text = OscoreErrors.GetDiagnostic(OscoreStatus.UnrecognizedCriticalOption);
        response.SetPayload(text, 0, text.Length);
        return ProtectResponse(response, exchange, false);
    }

    /// <summary>
    /// Verifies a response (RFC 8613 §8.4) against the request in <paramref name="exchange"/>. A notification's Partial IV
    /// must be above the Notification Number (§7.4.1), which is then raised.
    /// </summary>
    /// <param name="response">The parsed response.</param>
    /// <param name="exchange">The binding from <see cref="ProtectRequest"/>.</param>
    /// <returns>The status; <see cref="OscoreStatus.UnrecognizedCriticalOption"/> for a verified response that carries a
    /// critical Inner option no one here processes (the caller treats the request as failed).</returns>
    public OscoreStatus UnprotectResponse(CoapMessage response, OscoreExchange exchange)
    {
        SecurityContext context = exchange.Context;
        if (!exchange.IsCurrent)
        {
            return OscoreStatus.SecurityContextNotFound;
        }

        int at;
        OscoreStatus s = DecodeOption(response, out at);
        if (s != OscoreStatus.Ok)
        {
            return s;
        }

        byte[] ov = response.GetOptionBuffer(at);
        bool notification = response.HasOption(CoapOptionNumber.Observe);
        long sequenceNumber = -1;
        if (_option.HasPartialIv)
        {
            sequenceNumber = OscoreNonce.DecodePartialIv(ov, _option.PartialIvOffset, _option.PartialIvLength);
            // RFC 8613 §7.4.1: notifications are accepted only in increasing Partial IV order.
            if (notification && sequenceNumber <= exchange.NotificationNumber)
            {
                return OscoreStatus.ReplayDetected;
            }

            s = Decrypt(
                response, context, new ByteRange(context.Material, context.RecipientIdOffset, context.RecipientIdLength),
                new ByteRange(ov, _option.PartialIvOffset, _option.PartialIvLength), RequestPiv(exchange), RequestKid(exchange));
        }
        else
        {
            s = Decrypt(response, context, RequestKid(exchange), RequestPiv(exchange), RequestPiv(exchange), RequestKid(exchange));
        }

        if (s != OscoreStatus.Ok)
        {
            return s;
        }

        if (notification && sequenceNumber >= 0)
        {
            exchange.NotificationNumber = sequenceNumber;
        }

        s = Rebuild(response);
        if (s != OscoreStatus.Ok)
        {
            return s;
        }

        // RFC 7252 §5.4.1, RFC 8613 §8.4: a response whose Inner options hold a critical option the client does not
        // recognise is rejected, as a plain one is by the message layer; the same rule as for requests (§8.2).
        return CoapOption.FindUnrecognizedCritical(response, false) >= 0 ? OscoreStatus.UnrecognizedCriticalOption : OscoreStatus.Ok;
    }

    private static ByteRange RequestKid(OscoreExchange exchange) => new ByteRange(exchange.RequestKid, 0, exchange.RequestKidLength);

    private static ByteRange RequestPiv(OscoreExchange exchange) => new ByteRange(exchange.RequestPiv, 0, exchange.RequestPivLength);
}
