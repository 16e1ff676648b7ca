using PopIoT.Core;
using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;

namespace PopIoT.Oscore;

/// <summary>
/// The server side of RFC 8613 Appendix B.2: a client that lost the mutable part of its context (its Sender Sequence
/// Number) derives a new one with the server from the same Master Secret and Salt and a new ID Context.
/// <list type="number">
/// <item>Request #1 carries the client's nonce R1 as 'kid context'. It is verified under a temporary context with ID
/// Context R1 and answered with a 4.01 protected under R2 || R1, whose 'kid context' carries the server's nonce R2
/// (step 2). The request is not processed further. Only R2 is kept: one per client, dropped after
/// <c>lifetime</c> (Appendix B.2.1), so a replayed request #1 only replaces it and changes nothing stored.</item>
/// <item>Request #2 carries R2 || R3 as 'kid context' (step 4). Its context is derived and put in the table as a
/// candidate, and the <see cref="OscoreServer"/> verifies and processes it as any request. Only when it verified does
/// the owner make it the client's context (and store the new ID Context); otherwise the candidate is erased.</item>
/// </list>
/// The owner decides which clients may do this and derives their contexts (<c>derive</c>: the kid, the ID Context,
/// and whether the context is to last; null for a kid it does not know or does not allow to re-key). Used under the
/// CoAP server's lock.
/// </summary>
public sealed class OscoreRekeyingServer
{
    /// <summary>The length of R2 in bytes (Appendix B.2: "typically, at least 8 bytes long").</summary>
    public const int NonceLength = 8;

    private readonly ICryptoProvider _crypto;
    private readonly TimeProvider _time;
    private readonly TimeSpan _lifetime;
    private readonly int _maxPending;
    private readonly Func<byte[], byte[], bool, SecurityContext?> _derive;
    private readonly Action<OscoreRekeyingCandidate, bool> _settled;
    private readonly Action<byte[]>? _started;
    private readonly Dictionary<string, (byte[] R2, DateTimeOffset Expires)> _pending = new(StringComparer.Ordinal);
    private readonly OscoreProcessor _processor = new();
    private readonly OscoreContextTable _scratch = new(1);
    private readonly OscoreOption _option = new();
    private readonly OscoreExchange _exchange = new();

    /// <summary>Creates the responder.</summary>
    /// <param name="crypto">Crypto and the random source for R2.</param>
    /// <param name="time">The clock for the lifetime of R2.</param>
    /// <param name="derive">Derives a client's context for a kid and an ID Context (see the class remarks).</param>
    /// <param name="settled">Told whether a candidate verified: then it is the client's context from now on (the owner
    /// stores its ID Context and drops the old context); otherwise it was erased.</param>
    /// <param name="started">Told the kid of each client whose request #1 verified and got response #1, or null.</param>
    /// <param name="lifetime">How long an R2 waits for request #2 (default one minute).</param>
    /// <param name="maxPending">How many clients may be between request #1 and request #2 at once (default 64).</param>
    public OscoreRekeyingServer(
        ICryptoProvider crypto, TimeProvider time, Func<byte[], byte[], bool, SecurityContext?> derive, Action<OscoreRekeyingCandidate, bool> settled,
        Action<byte[]>? started = null, TimeSpan? lifetime = null, int maxPending = 64)
    {
        _settled = settled ?? throw new ArgumentNullException(nameof(settled));
        _started = started;
        _crypto = crypto ?? throw new ArgumentNullException(nameof(crypto));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _derive = derive ?? throw new ArgumentNullException(nameof(derive));
        _lifetime = lifetime ?? TimeSpan.FromMinutes(1);
        _maxPending = maxPending;
    }

    /// <summary>How many clients wait between request #1 and request #2 (for tests and diagnostics).</summary>
    public int Pending => _pending.Count;

    /// <summary>
    /// Looks at a request before the <see cref="OscoreServer"/> does. False when it is not a re-keying request
    /// (<paramref name="candidate"/> null), or is request #2 whose candidate context is now in <paramref name="table"/>
    /// (call <see cref="Settle"/> after the server handled it). True when it was request #1 and
    /// <paramref name="response"/> is written: response #1 (<paramref name="status"/> Ok) or a refusal.
    /// </summary>
    /// <param name="table">The server's contexts.</param>
    /// <param name="request">The request (decrypted in place when it is request #1).</param>
    /// <param name="response">The response (token already set).</param>
    /// <param name="status">Why request #1 was refused, or Ok.</param>
    /// <param name="candidate">The request #2 candidate, or null.</param>
    /// <returns>Whether the response is written.</returns>
    public bool Inspect(OscoreContextTable table, CoapMessage request, CoapMessage response, out OscoreStatus status, out OscoreRekeyingCandidate? candidate)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(response);
        status = OscoreStatus.Ok;
        candidate = null;
        int at = request.FindOption(CoapOptionNumber.Oscore);
        if (at < 0 || request.FindOption(CoapOptionNumber.Oscore, at + 1) >= 0)
        {
            return false;
        }

        byte[] ov = request.GetOptionBuffer(at);
        if (!_option.Decode(ov, request.GetOptionOffset(at), request.GetOptionLength(at)) || !_option.HasKid || !_option.HasKidContext || !_option.HasPartialIv
            || table.Find(ov, _option.KidOffset, _option.KidLength, ov, _option.KidContextOffset, _option.KidContextLength) != null)
        {
            // Not B.2, or a context the server holds (RFC 8613 §8.2 step 2 finds it).
            return false;
        }

        byte[] kid = ov.AsSpan(_option.KidOffset, _option.KidLength).ToArray();
        byte[] idContext = ov.AsSpan(_option.KidContextOffset, _option.KidContextLength).ToArray();
        string key = Convert.ToHexStringLower(kid);
        DateTimeOffset now = _time.GetUtcNow();
        foreach (string k in _pending.Where(p => p.Value.Expires <= now).Select(p => p.Key).ToList())
        {
            _pending.Remove(k);
        }

        // Step 4: the first part of ID3 is an R2 this client was sent and has not used.
        if (_pending.TryGetValue(key, out var pending) && idContext.Length > NonceLength
            && CryptoBytes.FixedTimeEquals(pending.R2, 0, idContext, 0, NonceLength))
        {
            SecurityContext? third = _derive(kid, idContext, true);
            if (third != null)
            {
                SecurityContext? evicted = table.Add(third);
                candidate = new OscoreRekeyingCandidate(kid, idContext, third, evicted);
            }

            return false;
        }

        // Step 2 needs room for R2 || ID1 in one ID Context.
        if (idContext.Length + NonceLength > SecurityContext.MaxIdContextLength)
        {
            return false;
        }

        SecurityContext? first = _derive(kid, idContext, false);
        if (first == null)
        {
            return false;
        }

        try
        {
            return AnswerRequest1(request, response, first, kid, idContext, key, now, out status);
        }
        finally
        {
            _scratch.Remove(first);
            first.Dispose();
        }
    }

    /// <summary>
    /// After the <see cref="OscoreServer"/> handled request #2: a candidate that verified becomes the client's context
    /// (its R2 is forgotten, so a replayed request #2 meets the replay window); one that did not is erased.
    /// </summary>
    /// <param name="table">The server's contexts.</param>
    /// <param name="candidate">From <see cref="Inspect"/>.</param>
    /// <param name="verified">Whether the request verified under it.</param>
    public void Settle(OscoreContextTable table, OscoreRekeyingCandidate candidate, bool verified)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(candidate);
        if (verified)
        {
            _pending.Remove(Convert.ToHexStringLower(candidate.Kid));
            _settled(candidate, true);
            return;
        }

        table.Remove(candidate.Context);
        candidate.Context.Dispose();
        _settled(candidate, false);
    }

    private bool AnswerRequest1(CoapMessage request, CoapMessage response, SecurityContext first, byte[] kid, byte[] idContext, string key, DateTimeOffset now, out OscoreStatus status)
    {
        _scratch.Add(first);
        status = _processor.UnprotectRequest(request, _scratch, _exchange);
        if (status != OscoreStatus.Ok && status != OscoreStatus.UnrecognizedCriticalOption)
        {
            OscoreErrors.WriteErrorResponse(status, response);
            return true;
        }

        status = OscoreStatus.Ok;
        if (!_pending.ContainsKey(key) && _pending.Count >= _maxPending)
        {
            // Appendix B.2.1: a server that cannot run another protocol instance answers an unprotected 5.03.
            response.ClearOptions();
            response.SetPayload(null, 0, 0);
            response.Code = CoapCode.ServiceUnavailable;
            return true;
        }

        // Step 2: a fresh R2 for each request #1 (never reused: response #1 reuses the request's nonce under R2 || ID1).
        byte[] r2 = new byte[NonceLength];
        _crypto.Random.GetBytes(r2, 0, r2.Length);
        byte[] second = new byte[NonceLength + idContext.Length];
        r2.CopyTo(second, 0);
        idContext.CopyTo(second, NonceLength);
        using (SecurityContext? context = _derive(kid, second, false))
        {
            if (context == null)
            {
                return false;
            }

            _exchange.Rebind(context);
            response.ClearOptions();
            response.SetPayload(null, 0, 0);
            response.Code = CoapCode.Unauthorized;
            if (_processor.ProtectResponse(response, _exchange, false) != OscoreStatus.Ok)
            {
                response.ClearOptions();
                response.Code = CoapCode.InternalServerError;
                return true;
            }

            _exchange.Clear();
        }

        // The OSCORE option of a response is not in its AAD (RFC 8613 §5.4); R2 is bound by the keys derived from it.
        byte[] value = new byte[OscoreOption.MaxEncodedLength];
        int length = OscoreOption.Encode(default, new ByteRange(r2, 0, r2.Length), default, value, 0);
        response.RemoveOption(CoapOptionNumber.Oscore);
        response.AddOption(CoapOptionNumber.Oscore, value, 0, length);
        _pending[key] = (r2, now + _lifetime);
        _started?.Invoke(kid);
        return true;
    }
}
