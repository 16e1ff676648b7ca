using System;

using PopIoT.Core.Coap;

namespace PopIoT.Core.Oscore;

/// <summary>
/// Protects and verifies OSCORE messages (RFC 8613 §8) in place on a <see cref="CoapMessage"/>. Protecting moves the
/// Code, the class E options and the payload into a COSE_Encrypt0 ciphertext (§5) that becomes the payload, sets the
/// Outer Code (§4.2) and adds the OSCORE option (§6). Verifying reverses it. The work buffers are allocated here, so
/// after construction no call allocates; a processed message references them until the next call of the same kind
/// (requests and responses use separate buffers, so a server can build the response while the request is in use).
/// Bad input never throws: it yields an <see cref="OscoreStatus"/>. Not thread-safe: one processor per thread.
/// </summary>
public sealed partial class OscoreProcessor
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
}
