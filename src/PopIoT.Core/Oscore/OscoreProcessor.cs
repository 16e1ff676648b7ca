using System;

using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;

namespace PopIoT.Core.Oscore;

/// <summary>
/// Protects and verifies OSCORE messages (RFC 8613 §8) in place on a <see cref="CoapMessage"/>. Protecting moves the
/// Code, the class E options and the payload into a COSE_Encrypt0 ciphertext (§5) that becomes the payload, sets the
/// Outer Code (§4.2) and adds the OSCORE option (§6). Verifying reverses it. The work buffers are allocated here, so
/// after construction no call allocates; a processed message references them until the next call of the same kind
/// (requests and responses use separate buffers, so a server can build the response while the request is in use).
/// Bad input never throws: it yields an <see cref="OscoreStatus"/>. Not thread-safe: one processor per thread.
/// </summary>
public sealed class OscoreProcessor
{
    /// <summary>The default largest plaintext (Code, Inner options and payload) in bytes.</summary>
    public const int DefaultMaxPlaintextLength = 1024;

    /// <summary>The most Inner options a verified message may carry.</summary>
    public const int MaxInnerOptions = 24;

    private const int MaxTagLength = 16;

    private readonly byte[] _plainOut;
    private readonly byte[] _cipherOut;
    private readonly byte[] _plainIn;
    private readonly byte[] _aad = new byte[48];
    private readonly byte[] _nonce = new byte[13];
    private readonly byte[] _piv = new byte[OscoreNonce.MaxPartialIvLength];
    private readonly byte[] _optionOut = new byte[OscoreOption.MaxEncodedLength];
    private readonly OscoreOption _option = new OscoreOption();
    private readonly int[] _innerNumber = new int[MaxInnerOptions];
    private readonly int[] _innerOffset = new int[MaxInnerOptions];
    private readonly int[] _innerLength = new int[MaxInnerOptions];
    private int _innerCount;
    private int _innerPayloadOffset;
    private int _innerPayloadLength;

    /// <summary>Creates a processor for plaintexts up to <see cref="DefaultMaxPlaintextLength"/> bytes.</summary>
    public OscoreProcessor()
        : this(DefaultMaxPlaintextLength)
    {
    }

    /// <summary>Creates a processor.</summary>
    /// <param name="maxPlaintextLength">The largest plaintext (Code, Inner options, payload marker and payload).</param>
    public OscoreProcessor(int maxPlaintextLength)
    {
        if (maxPlaintextLength < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxPlaintextLength));
        }

        _plainOut = new byte[maxPlaintextLength];
        _cipherOut = new byte[maxPlaintextLength + MaxTagLength];
        _plainIn = new byte[maxPlaintextLength];
    }

    /// <summary>
    /// Protects a request (RFC 8613 §8.1) with the next Sender Sequence Number as Partial IV and the Sender ID as 'kid',
    /// and records request_kid and request_piv in <paramref name="exchange"/> for the response.
    /// </summary>
    /// <param name="request">The unprotected request; protected in place.</param>
    /// <param name="context">The security context.</param>
    /// <param name="includeKidContext">Whether to send the ID Context as 'kid context' (§6.1).</param>
    /// <param name="exchange">Receives the request binding.</param>
    /// <returns>The status.</returns>
    public OscoreStatus ProtectRequest(CoapMessage request, SecurityContext context, bool includeKidContext, OscoreExchange exchange)
    {
        if (context == null || context.IsDisposed)
        {
            return OscoreStatus.SecurityContextNotFound;
        }

        OscoreStatus s = CheckProtectable(request);
        if (s != OscoreStatus.Ok)
        {
            return s;
        }

        int plainLength = BuildPlaintext(request, false);
        if (plainLength < 0)
        {
            return plainLength == -2 ? OscoreStatus.Unsupported : OscoreStatus.MessageTooLarge;
        }

        long sequenceNumber;
        if (!context.TryTakeSequenceNumber(out sequenceNumber))
        {
            return context.ReservationFailed ? OscoreStatus.SequenceNumberNotReserved : OscoreStatus.SequenceNumberExhausted;
        }

        int pivLength = OscoreNonce.EncodePartialIv(sequenceNumber, _piv, 0);
        byte[] m = context.Material;
        int sid = context.SenderIdOffset;
        int sidLength = context.SenderIdLength;

        // RFC 8613 §5.2: a request's nonce uses the sender's own ID and Partial IV; §5.4: so does its AAD.
        var senderId = new ByteRange(m, sid, sidLength);
        var piv = new ByteRange(_piv, 0, pivLength);
        context.ComputeNonce(senderId, piv, _nonce);
        int aadLength = BuildAad(context.Algorithm, senderId, piv);
        exchange.Set(context, m, sid, sidLength, _piv, 0, pivLength);
        context.Encrypt(_nonce, new ByteRange(_plainOut, 0, plainLength), _cipherOut, 0, _cipherOut, plainLength, new ByteRange(_aad, 0, aadLength));

        ByteRange kidContext = includeKidContext && context.IdContextLength >= 0 ? new ByteRange(m, context.IdContextOffset, context.IdContextLength) : default(ByteRange);
        int optionLength = OscoreOption.Encode(piv, kidContext, senderId, _optionOut, 0);
        // RFC 8613 §4.2, §4.1.3.5: POST, or FETCH when the request carries Observe.
        byte outerCode = request.HasOption(CoapOptionNumber.Observe) ? CoapCode.Fetch : CoapCode.Post;
        Finish(request, outerCode, optionLength, plainLength + context.TagLength);
        return OscoreStatus.Ok;
    }

    /// <summary>
    /// Verifies a request (RFC 8613 §8.2): finds the context by 'kid' and 'kid context', checks the replay window,
    /// decrypts, updates the window only after decryption succeeded (§7.4), and replaces the Code, the class E options
    /// and the payload with the decrypted ones. On <see cref="OscoreStatus.Ok"/> and <see cref="OscoreStatus.FreshnessRequired"/>
    /// <paramref name="exchange"/> holds the binding for the response, and so it does on
    /// <see cref="OscoreStatus.UnrecognizedCriticalOption"/>: the request verified but carries a critical option no one
    /// here processes. On an error status answer with <see cref="OscoreErrors.WriteErrorResponse"/>; on
    /// <see cref="OscoreStatus.FreshnessRequired"/> with <see cref="ProtectEchoChallenge"/>; on
    /// <see cref="OscoreStatus.UnrecognizedCriticalOption"/> with <see cref="ProtectBadOption"/>.
    /// </summary>
    /// <param name="request">The parsed request (its option values and payload may point into the datagram).</param>
    /// <param name="table">The contexts.</param>
    /// <param name="exchange">Receives the request binding.</param>
    /// <returns>The status.</returns>
    public OscoreStatus UnprotectRequest(CoapMessage request, ISecurityContextLookup table, OscoreExchange exchange)
    {
        int at;
        OscoreStatus s = DecodeOption(request, out at);
        if (s != OscoreStatus.Ok)
        {
            return s;
        }

        byte[] ov = request.GetOptionBuffer(at);

        // RFC 8613 §6.1: a request carries a Partial IV and a 'kid'; without them the COSE object does not decode.
        if (!_option.HasPartialIv || !_option.HasKid)
        {
            return OscoreStatus.BadOption;
        }

        SecurityContext context = table.Find(
            ov, _option.KidOffset, _option.KidLength,
            _option.HasKidContext ? ov : null, _option.KidContextOffset, _option.KidContextLength);
        if (context == null)
        {
            return OscoreStatus.SecurityContextNotFound;
        }

        long sequenceNumber = OscoreNonce.DecodePartialIv(ov, _option.PartialIvOffset, _option.PartialIvLength);
        bool freshnessRequired = context.FreshnessRequired;

        // RFC 8613 §8.2 step 3, §7.4: check before decrypting, but update only after. An unknown window (after a
        // reboot, Appendix B.1.2) cannot judge the number; Echo decides instead.
        if (!freshnessRequired && !context.IsFresh(sequenceNumber))
        {
            return OscoreStatus.ReplayDetected;
        }

        // Request direction: ID_PIV is the sender's ID, and the AAD's request_kid is that same ID.
        byte[] m = context.Material;
        int rid = context.RecipientIdOffset;
        int ridLength = context.RecipientIdLength;
        var recipientId = new ByteRange(m, rid, ridLength);
        var partialIv = new ByteRange(ov, _option.PartialIvOffset, _option.PartialIvLength);
        s = Decrypt(request, context, recipientId, partialIv, partialIv, recipientId);
        if (s != OscoreStatus.Ok)
        {
            return s;
        }

        exchange.Set(context, ov, _option.KidOffset, _option.KidLength, ov, _option.PartialIvOffset, _option.PartialIvLength);
        if (freshnessRequired)
        {
            int echo = FindInner(CoapOptionNumber.Echo);
            if (echo < 0 || !context.EchoMatches(_plainIn, _innerOffset[echo], _innerLength[echo]))
            {
                return OscoreStatus.FreshnessRequired;
            }

            // RFC 8613 Appendix B.1.2: the Echo proves this request is newer than the reboot; its number starts the window.
            context.ProveFreshness(sequenceNumber);
        }
        else
        {
            context.UpdateReplayWindow(sequenceNumber);
        }

        table.Touch(context);
        s = Rebuild(request);
        if (s != OscoreStatus.Ok)
        {
            return s;
        }

        // RFC 8613 §8.2 step 8: the decrypted request is processed as CoAP, and RFC 7252 §5.4.1 answers an unrecognized
        // critical option with 4.02. The Inner options were encrypted, so no check before this one could see them; the
        // OSCORE option is gone (step 7), so nothing after this point processes it.
        return CoapOption.FindUnrecognizedCritical(request, false) >= 0 ? OscoreStatus.UnrecognizedCriticalOption : OscoreStatus.Ok;
    }

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

    // Finds and decodes the single OSCORE option (RFC 8613 §2: it is not repeatable).
    private OscoreStatus DecodeOption(CoapMessage message, out int at)
    {
        at = message.FindOption(CoapOptionNumber.Oscore);
        if (at < 0)
        {
            return OscoreStatus.NotProtected;
        }

        if (message.FindOption(CoapOptionNumber.Oscore, at + 1) >= 0)
        {
            return OscoreStatus.BadOption;
        }

        if (!_option.Decode(message.GetOptionBuffer(at), message.GetOptionOffset(at), message.GetOptionLength(at)))
        {
            return OscoreStatus.BadOption;
        }

        return OscoreStatus.Ok;
    }

    // RFC 8613 §5.2 nonce from (ID_PIV, Partial IV); §5.4 AAD from (request_kid, request_piv).
    private OscoreStatus Decrypt(CoapMessage message, SecurityContext context, ByteRange idPiv, ByteRange piv, ByteRange requestPiv, ByteRange requestKid)
    {
        int tag = context.TagLength;
        int cipherLength = message.PayloadLength - tag;
        // RFC 8613 §5.3: the ciphertext holds at least the Code byte and the tag; anything shorter does not decode.
        if (cipherLength < 1)
        {
            return OscoreStatus.BadOption;
        }

        if (cipherLength > _plainIn.Length)
        {
            return OscoreStatus.MessageTooLarge;
        }

        context.ComputeNonce(idPiv, piv, _nonce);
        int aadLength = BuildAad(context.Algorithm, requestKid, requestPiv);
        byte[] payload = message.PayloadBuffer;
        int po = message.PayloadOffset;
        if (!context.Decrypt(_nonce, new ByteRange(payload, po, cipherLength), payload, po + cipherLength, _plainIn, 0, new ByteRange(_aad, 0, aadLength)))
        {
            return OscoreStatus.DecryptionFailed;
        }

        return ParseInner(cipherLength);
    }

    // The plaintext is Code, then options as in RFC 7252 §3.1, then 0xFF and the payload (RFC 8613 §5.3).
    private OscoreStatus ParseInner(int length)
    {
        _innerCount = 0;
        _innerPayloadOffset = 0;
        _innerPayloadLength = 0;
        int p = 1;
        int number = 0;
        while (p < length)
        {
            int b = _plainIn[p++];
            if (b == 0xFF)
            {
                if (p == length)
                {
                    return OscoreStatus.BadOption;
                }

                _innerPayloadOffset = p;
                _innerPayloadLength = length - p;
                break;
            }

            int delta = b >> 4;
            int len = b & 0x0F;
            if (delta == 15 || len == 15)
            {
                return OscoreStatus.BadOption;
            }

            delta = ReadExtended(ref p, length, delta);
            len = delta < 0 ? -1 : ReadExtended(ref p, length, len);
            if (len < 0 || len > length - p)
            {
                return OscoreStatus.BadOption;
            }

            number += delta;
            // RFC 8613 §4.1: the OSCORE option is class U only; one found inside is malformed.
            if (number == CoapOptionNumber.Oscore || number > 0xFFFF)
            {
                return OscoreStatus.BadOption;
            }

            if (_innerCount == MaxInnerOptions)
            {
                return OscoreStatus.MessageTooLarge;
            }

            _innerNumber[_innerCount] = number;
            _innerOffset[_innerCount] = p;
            _innerLength[_innerCount] = len;
            _innerCount++;
            p += len;
        }

        return OscoreStatus.Ok;
    }

    private int ReadExtended(ref int p, int end, int nibble)
    {
        if (nibble == 13)
        {
            if (p >= end)
            {
                return -1;
            }

            return _plainIn[p++] + 13;
        }

        if (nibble == 14)
        {
            if (end - p < 2)
            {
                return -1;
            }

            int v = (_plainIn[p] << 8) | _plainIn[p + 1];
            p += 2;
            return v + 269;
        }

        return nibble;
    }

    private int FindInner(int number)
    {
        for (int i = 0; i < _innerCount; i++)
        {
            if (_innerNumber[i] == number)
            {
                return i;
            }
        }

        return -1;
    }

    // RFC 8613 §8.2 steps 1 and 7 (§8.4 for responses): discard the Outer Code and class E options, remove the OSCORE
    // option, and add the decrypted Code, options and payload.
    private OscoreStatus Rebuild(CoapMessage message)
    {
        int keep = 0;
        for (int i = 0; i < message.OptionCount; i++)
        {
            int n = message.GetOptionNumber(i);
            if (!OscoreOptionClass.IsClassE(n) && n != CoapOptionNumber.Oscore)
            {
                keep++;
            }
        }

        if (keep + _innerCount > message.OptionCapacity)
        {
            return OscoreStatus.MessageTooLarge;
        }

        int j = 0;
        while (j < message.OptionCount)
        {
            int n = message.GetOptionNumber(j);
            if (OscoreOptionClass.IsClassE(n) || n == CoapOptionNumber.Oscore)
            {
                message.RemoveOption(n);
            }
            else
            {
                j++;
            }
        }

        for (int i = 0; i < _innerCount; i++)
        {
            message.AddOption(_innerNumber[i], _plainIn, _innerOffset[i], _innerLength[i]);
        }

        message.Code = _plainIn[0];
        message.SetPayload(_plainIn, _innerPayloadOffset, _innerPayloadLength);
        return OscoreStatus.Ok;
    }

    private static OscoreStatus CheckProtectable(CoapMessage message)
    {
        // RFC 8613 §4.1.3.3: Proxy-Uri must be decomposed before protection; this endpoint does not do that.
        if (message.HasOption(CoapOptionNumber.ProxyUri))
        {
            return OscoreStatus.Unsupported;
        }

        int keep = 0;
        for (int i = 0; i < message.OptionCount; i++)
        {
            int n = message.GetOptionNumber(i);
            if (OscoreOptionClass.IsKeptOuter(n) && n != CoapOptionNumber.Oscore)
            {
                keep++;
            }
        }

        return keep + 1 > message.OptionCapacity ? OscoreStatus.MessageTooLarge : OscoreStatus.Ok;
    }

    // RFC 8613 §5.3: plaintext = Code, class E options (RFC 7252 §3.1 encoding), 0xFF and payload when there is one.
    // Returns -1 when it does not fit, -2 for an option this endpoint cannot protect.
    private int BuildPlaintext(CoapMessage message, bool isResponse)
    {
        byte[] d = _plainOut;
        int cap = d.Length;
        int p = 0;
        d[p++] = message.Code;
        int previous = 0;
        for (int i = 0; i < message.OptionCount; i++)
        {
            int n = message.GetOptionNumber(i);
            if (!OscoreOptionClass.IsClassE(n))
            {
                continue;
            }

            int length = message.GetOptionLength(i);
            // RFC 8613 §4.1.3.5.2: the Inner Observe of a notification is empty.
            if (isResponse && n == CoapOptionNumber.Observe)
            {
                length = 0;
            }

            int delta = n - previous;
            previous = n;
            if (cap - p < 5 + length)
            {
                return -1;
            }

            int head = p++;
            d[head] = (byte)((Nibble(delta) << 4) | Nibble(length));
            p = WriteExtended(d, p, delta);
            p = WriteExtended(d, p, length);
            if (length > 0)
            {
                Array.Copy(message.GetOptionBuffer(i), message.GetOptionOffset(i), d, p, length);
                p += length;
            }
        }

        int payload = message.PayloadLength;
        if (payload > 0)
        {
            if (cap - p < 1 + payload)
            {
                return -1;
            }

            d[p++] = 0xFF;
            Array.Copy(message.PayloadBuffer, message.PayloadOffset, d, p, payload);
            p += payload;
        }

        return p;
    }

    // RFC 8613 §4.1, §4.2: drop the Inner-only options from the outer message, set the Outer Code, add the OSCORE option
    // and make the ciphertext the payload.
    private void Finish(CoapMessage message, byte outerCode, int optionLength, int cipherLength)
    {
        int j = 0;
        while (j < message.OptionCount)
        {
            int n = message.GetOptionNumber(j);
            if (!OscoreOptionClass.IsKeptOuter(n) || n == CoapOptionNumber.Oscore)
            {
                message.RemoveOption(n);
            }
            else
            {
                j++;
            }
        }

        message.AddOption(CoapOptionNumber.Oscore, optionLength == 0 ? null : _optionOut, 0, optionLength);
        message.Code = outerCode;
        message.SetPayload(_cipherOut, 0, cipherLength);
    }

    // RFC 8613 §5.4: AAD = Enc_structure ["Encrypt0", h'', external_aad], external_aad = bstr .cbor aad_array, and
    // aad_array = [oscore_version: 1, [alg_aead], request_kid, request_piv, options: h''] (no class I options exist).
    private int BuildAad(int algorithm, ByteRange kid, ByteRange piv)
    {
        byte[] a = _aad;
        int algLength = algorithm < 24 ? 1 : 2;
        int arrayLength = 3 + algLength + 1 + kid.Count + 1 + piv.Count + 1;
        int p = 0;
        a[p++] = 0x83;
        a[p++] = 0x68;
        a[p++] = (byte)'E';
        a[p++] = (byte)'n';
        a[p++] = (byte)'c';
        a[p++] = (byte)'r';
        a[p++] = (byte)'y';
        a[p++] = (byte)'p';
        a[p++] = (byte)'t';
        a[p++] = (byte)'0';
        a[p++] = 0x40;
        a[p++] = (byte)(0x40 | arrayLength);
        a[p++] = 0x85;
        a[p++] = 0x01;
        a[p++] = 0x81;
        p = SecurityContextDerivation.WriteUint(algorithm, a, p);
        p = SecurityContextDerivation.WriteBstr(kid.Buffer, kid.Offset, kid.Count, a, p);
        p = SecurityContextDerivation.WriteBstr(piv.Buffer, piv.Offset, piv.Count, a, p);
        a[p++] = 0x40;
        return p;
    }

    private static ByteRange RequestKid(OscoreExchange exchange) => new ByteRange(exchange.RequestKid, 0, exchange.RequestKidLength);

    private static ByteRange RequestPiv(OscoreExchange exchange) => new ByteRange(exchange.RequestPiv, 0, exchange.RequestPivLength);

    private static int Nibble(int value) => value < 13 ? value : (value < 269 ? 13 : 14);

    private static int WriteExtended(byte[] destination, int p, int value)
    {
        if (value >= 269)
        {
            int v = value - 269;
            destination[p++] = (byte)(v >> 8);
            destination[p++] = (byte)v;
        }
        else if (value >= 13)
        {
            destination[p++] = (byte)(value - 13);
        }

        return p;
    }
}
