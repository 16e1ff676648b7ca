using System.Security.Cryptography;
using PopIoT.Ace;
using PopIoT.AuthorizationServer.Storage;

namespace PopIoT.AuthorizationServer.Endpoints;

/// <summary>
/// An exi token minted by hand (<c>popiot token mint --exi --db</c>) for an RS of an AS database. It takes its number
/// from the RS's exi sequence inside the transaction that stores it, as the AS's own tokens do, so the AS and hand
/// minting share one sequence without gaps (RFC 9200 §5.10.3; docs/cli.md, "Exi tokens and cti"). Introspection and
/// revocation find the stored token; its record keeps no key (an empty cnf map): the AS never needs the PoP key of a
/// token it did not hand out.
/// </summary>
public static class HandMintedExiToken
{
    /// <summary>The client id of hand-minted tokens: it holds spaces, so it is never a registered client's.</summary>
    public const string ClientId = "popiot token mint";

    /// <summary>Takes the RS's next exi number, mints the token with it and stores its record, in one transaction.</summary>
    /// <param name="store">The AS database.</param>
    /// <param name="audience">The RS, registered in <paramref name="store"/>.</param>
    /// <param name="now">The minting time (the record's issued_at; the first number of an RS without a sequence).</param>
    /// <param name="mint">Mints the exi token with the given number (may run again if the store retries).</param>
    /// <param name="cancellationToken">Cancels waiting for the commit.</param>
    /// <returns>The minted token, stored.</returns>
    /// <exception cref="AuthorizationStoreException">The RS is unknown, the database cannot be written, or the token
    /// cannot be minted (the number is then not used).</exception>
    public static async Task<AccessTokenFile> MintAsync(IAuthorizationStore store, string audience, DateTimeOffset now, Func<long, AccessTokenFile> mint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(mint);
        if (store.FindResourceServer(audience) == null)
        {
            throw new AuthorizationStoreException("'" + audience + "' is not a resource server of this database: check --audience, or register it with `popiot as rs add`");
        }

        AccessTokenFile? file = null;
        await store.AddExiTokenAsync(audience, ExiCti.First(now), n =>
        {
            Forget(file);
            file = mint(n);
            long exi = file.Exi ?? throw new InvalidOperationException("a token minted for an exi sequence number carries exi");
            long issuedAt = now.ToUnixTimeSeconds();
            return new IssuedTokenRecord(file.Cti!, SHA256.HashData(file.AccessToken), ClientId, audience, file.Scope!.Encode(), file.Profile, issuedAt, null, exi, issuedAt + exi, [0xA0], false);
        }, cancellationToken).ConfigureAwait(false);
        return file!;
    }

    // A token minted in a transaction that was tried again is never handed out: its keys go.
    private static void Forget(AccessTokenFile? file)
    {
        if (file != null)
        {
            Array.Clear(file.MasterSecret);
            if (file.Psk != null)
            {
                Array.Clear(file.Psk);
            }
        }
    }
}
