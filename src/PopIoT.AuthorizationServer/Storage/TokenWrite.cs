namespace PopIoT.AuthorizationServer.Storage;

/// <summary>
/// One token waiting for the group commit of a store: a minted record, or for an RS without a clock the function that
/// mints it once the store has taken its exi sequence number inside the storing transaction (RFC 9200 §5.10.3).
/// </summary>
internal sealed class TokenWrite
{
    private TokenWrite(IssuedTokenRecord? record, string? exiAudience, long first, Func<long, IssuedTokenRecord?>? mint)
    {
        Record = record;
        ExiAudience = exiAudience;
        First = first;
        Mint = mint;
    }

    /// <summary>The record to store, for a token with its cti already made.</summary>
    public IssuedTokenRecord? Record { get; }

    /// <summary>The RS whose exi sequence numbers this token, or null.</summary>
    public string? ExiAudience { get; }

    /// <summary>The number to start the RS's exi sequence with when it has none yet.</summary>
    public long First { get; }

    /// <summary>Mints the exi token with its number, or null.</summary>
    public Func<long, IssuedTokenRecord?>? Mint { get; }

    /// <summary>Completes after the commit with the stored record (null: nothing to store), or with the failure.</summary>
    public TaskCompletionSource<IssuedTokenRecord?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A minted token.</summary>
    /// <param name="record">The record.</param>
    /// <returns>The write.</returns>
    public static TokenWrite Of(IssuedTokenRecord record) => new(record ?? throw new ArgumentNullException(nameof(record)), null, 0, null);

    /// <summary>An exi token, minted inside the transaction.</summary>
    /// <param name="audience">The RS.</param>
    /// <param name="first">The first number of an RS without an exi sequence yet.</param>
    /// <param name="mint">The minter.</param>
    /// <returns>The write.</returns>
    public static TokenWrite Exi(string audience, long first, Func<long, IssuedTokenRecord?> mint)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first, PopIoT.Ace.ExiCti.MaxSequence);
        return new(null, audience ?? throw new ArgumentNullException(nameof(audience)), first, mint ?? throw new ArgumentNullException(nameof(mint)));
    }

    /// <summary>
    /// Checks the number a store took for an RS: <see cref="First"/> for an RS without a row in exi_sequence, else
    /// exactly last + 1, so the numbers of an RS have no gaps whichever process takes them (RFC 9200 §5.10.3;
    /// docs/cli.md, "Exi tokens and cti").
    /// </summary>
    /// <param name="next">The number.</param>
    /// <returns>The number.</returns>
    /// <exception cref="AuthorizationStoreException">The 6-byte sequence of this RS is used up.</exception>
    public static long CheckExi(long next)
    {
        if (next > PopIoT.Ace.ExiCti.MaxSequence)
        {
            throw new AuthorizationStoreException("the exi sequence of this resource server is used up (RFC 9200 §5.10.3)");
        }

        return next;
    }
}
