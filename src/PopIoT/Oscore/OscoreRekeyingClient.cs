using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;

namespace PopIoT.Oscore;

/// <summary>
/// The client side of RFC 8613 Appendix B.2, for a client that lost its Sender Sequence Number: the same Master Secret,
/// Salt and Sender/Recipient IDs, with new randomness in the ID Context.
/// <list type="number">
/// <item><see cref="ProtectRequest1"/>: a random R1 is the ID Context of a first context, which protects request #1
/// with R1 as 'kid context' (step 1). Its sequence numbers start at 0: the keys are new.</item>
/// <item><see cref="VerifyResponse1"/>: the server's 4.01 carries R2 as 'kid context' and verifies under the context
/// of ID Context R2 || R1 (step 3); a response that does not verify there (e.g. one under the old context, or a
/// forged R2) is refused and changes nothing.</item>
/// <item><see cref="CreateThirdContext"/>: the context with ID Context R2 || R3 (R3 random) that protects request #2
/// and every request after it, from sequence number 0; it carries R2 || R3 as 'kid context' (step 3). The caller
/// makes it permanent only once a response verified under it (step 5).</item>
/// </list>
/// One run per instance; nonces come from the crypto provider's random source.
/// </summary>
public sealed class OscoreRekeyingClient : IDisposable
{
    /// <summary>The length of R1 and R3 in bytes (Appendix B.2: "typically, at least 8 bytes long").</summary>
    public const int NonceLength = 8;

    private readonly OscoreContextFile _shared;
    private readonly ICryptoProvider _crypto;
    private readonly OscoreProcessor _processor = new();
    private readonly OscoreExchange _exchange = new();
    private readonly OscoreOption _option = new();
    private SecurityContext? _first;
    private byte[]? _r1;
    private byte[]? _r2;

    /// <summary>Creates a run.</summary>
    /// <param name="shared">The context shared with the server (its ID Context, if any, is replaced).</param>
    /// <param name="crypto">Crypto and randomness.</param>
    public OscoreRekeyingClient(OscoreContextFile shared, ICryptoProvider crypto)
    {
        _shared = shared ?? throw new ArgumentNullException(nameof(shared));
        _crypto = crypto ?? throw new ArgumentNullException(nameof(crypto));
    }

    /// <summary>Whether response #1 verified, so <see cref="CreateThirdContext"/> may be called.</summary>
    public bool Verified => _r2 != null;

    /// <summary>Step 1: protects request #1 in place under ID Context R1, with R1 as 'kid context'.</summary>
    /// <param name="request">The request (its token set).</param>
    /// <returns>The status.</returns>
    public OscoreStatus ProtectRequest1(CoapMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_first != null)
        {
            throw new InvalidOperationException("request #1 was already protected in this run");
        }

        _r1 = Random();
        _first = Derive(_r1, null);
        return _processor.ProtectRequest(request, _first, true, _exchange);
    }

    /// <summary>Step 3: verifies response #1 under ID Context R2 || R1, R2 taken from its 'kid context'.</summary>
    /// <param name="response">The response (decrypted in place when it verifies).</param>
    /// <returns><see cref="OscoreStatus.Ok"/> when it verified and is the protected 4.01 of step 2; another status otherwise.</returns>
    public OscoreStatus VerifyResponse1(CoapMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (_first == null || _r1 == null)
        {
            throw new InvalidOperationException("protect request #1 first");
        }

        if (_r2 != null)
        {
            // Only one response #1 counts; a later one (a duplicate or a replay) is not verified again.
            return OscoreStatus.ReplayDetected;
        }

        int at = response.FindOption(CoapOptionNumber.Oscore);
        if (at < 0)
        {
            return OscoreStatus.NotProtected;
        }

        byte[] ov = response.GetOptionBuffer(at);
        if (!_option.Decode(ov, response.GetOptionOffset(at), response.GetOptionLength(at)) || !_option.HasKidContext
            || _option.KidContextLength < NonceLength || _option.KidContextLength + _r1.Length > SecurityContext.MaxIdContextLength)
        {
            return OscoreStatus.BadOption;
        }

        byte[] r2 = ov.AsSpan(_option.KidContextOffset, _option.KidContextLength).ToArray();
        using SecurityContext second = Derive(r2, _r1);
        // The exchange keeps request #1's kid and Partial IV, so a forged response #1 does not spoil the genuine one.
        _exchange.Rebind(second);
        OscoreStatus s = _processor.UnprotectResponse(response, _exchange);
        if (s != OscoreStatus.Ok)
        {
            return s;
        }

        if (response.Code != CoapCode.Unauthorized)
        {
            // Step 2 answers with 4.01 only; anything else is not this protocol.
            return OscoreStatus.BadOption;
        }

        _r2 = r2;
        _first.Dispose();
        return OscoreStatus.Ok;
    }

    /// <summary>Step 3: the context of ID Context R2 || R3 for request #2 and after.</summary>
    /// <param name="sequenceNumberStore">Where its Sender Sequence Number is kept (it starts at 0), or null.</param>
    /// <param name="idContext">Receives its ID Context, R2 || R3.</param>
    /// <returns>The context; the caller disposes it.</returns>
    public SecurityContext CreateThirdContext(ISequenceNumberStore? sequenceNumberStore, out byte[] idContext)
    {
        if (_r2 == null)
        {
            throw new InvalidOperationException("response #1 has not verified");
        }

        idContext = new byte[2 * NonceLength];
        _r2.CopyTo(idContext, 0);
        Random().CopyTo(idContext, NonceLength);
        return Derive(idContext, null, sequenceNumberStore);
    }

    /// <summary>Erases the first context.</summary>
    public void Dispose() => _first?.Dispose();

    private byte[] Random()
    {
        byte[] r = new byte[NonceLength];
        _crypto.Random.GetBytes(r, 0, r.Length);
        return r;
    }

    private SecurityContext Derive(byte[] head, byte[]? tail, ISequenceNumberStore? store = null)
    {
        byte[] idContext = new byte[head.Length + (tail?.Length ?? 0)];
        head.CopyTo(idContext, 0);
        tail?.CopyTo(idContext, head.Length);
        return new SecurityContext(
            _crypto, _shared.MasterSecret, _shared.MasterSalt, _shared.SenderId, _shared.RecipientId, idContext,
            new SecurityContextOptions { Algorithm = _shared.Algorithm, ReplayWindowSize = _shared.ReplayWindow, SequenceNumberStore = store! });
    }
}
