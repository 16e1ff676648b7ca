using System.Globalization;

namespace PopIoT.AuthorizationServer.Storage;

/// <summary>
/// Compares two snapshots row by row, every column by value (byte arrays by content), to verify a copy. Counters in
/// the copy may be higher (a target keeps numbers it handed out before), never lower.
/// </summary>
public static class StoreSnapshotComparer
{
    /// <summary>The first difference, or null when the copy holds what the source holds.</summary>
    /// <param name="source">What was read from the source.</param>
    /// <param name="copy">What was read back from the target.</param>
    /// <returns>A description of the first difference, or null.</returns>
    public static string? FirstDifference(StoreSnapshot source, StoreSnapshot copy)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(copy);
        return Rows("client", source.Clients.Select(Row), copy.Clients.Select(Row))
            ?? Rows("resource server", source.ResourceServers.Select(Row), copy.ResourceServers.Select(Row))
            ?? Rows("grant", source.Grants.Select(Row), copy.Grants.Select(Row))
            ?? Rows("token", source.Tokens.Select(Row), copy.Tokens.Select(Row))
            ?? Counters("OSCORE sequence", source.OscoreSequences, copy.OscoreSequences)
            ?? Counters("exi sequence", source.ExiSequences, copy.ExiSequences)
            ?? (copy.CtiPrefix < source.CtiPrefix ? "cti prefix " + copy.CtiPrefix.ToString(CultureInfo.InvariantCulture) + " < " + source.CtiPrefix.ToString(CultureInfo.InvariantCulture) : null);
    }

    /// <summary>A client as one line of text, every field.</summary>
    /// <param name="c">The client.</param>
    /// <returns>The line.</returns>
    public static string Row(ClientRecord c) => string.Join('|', c.ClientId, Row(c.Credential), c.CreatedAt, c.Rekeying);

    /// <summary>A resource server as one line of text, every field.</summary>
    /// <param name="s">The RS.</param>
    /// <returns>The line.</returns>
    public static string Row(ResourceServerRecord s) =>
        string.Join('|', s.Audience, Hex(s.CoseKey), s.Protection, string.Join(',', s.Profiles), s.HasClock, s.MaxTokenBytes, s.Credential == null ? "-" : Row(s.Credential), s.CreatedAt);

    /// <summary>A grant as one line of text.</summary>
    /// <param name="g">The grant.</param>
    /// <returns>The line.</returns>
    public static string Row(GrantRecord g) => string.Join('|', g.ClientId, g.Audience, Hex(g.Scope.Encode()));

    /// <summary>A token as one line of text, every field.</summary>
    /// <param name="t">The token.</param>
    /// <returns>The line.</returns>
    public static string Row(IssuedTokenRecord t) =>
        string.Join('|', Hex(t.Cti), Hex(t.TokenHash), t.ClientId, t.Audience, Hex(t.Scope), t.Profile, t.IssuedAt, t.Exp, t.Exi, t.ExpiresAt, Hex(t.Cnf), t.Revoked);

    private static string Row(OscoreCredential k) => string.Join('/', Hex(k.AsSenderId), Hex(k.PeerSenderId), Hex(k.MasterSecret), Hex(k.MasterSalt), k.Algorithm, Hex(k.IdContext));

    private static string Hex(byte[]? b) => b == null ? "-" : Convert.ToHexStringLower(b);

    private static string? Rows(string what, IEnumerable<string> source, IEnumerable<string> copy)
    {
        string[] a = source.ToArray();
        string[] b = copy.ToArray();
        if (a.Length != b.Length)
        {
            return what + " rows: " + a.Length.ToString(CultureInfo.InvariantCulture) + " in the source, " + b.Length.ToString(CultureInfo.InvariantCulture) + " in the copy";
        }

        for (int i = 0; i < a.Length; i++)
        {
            if (!string.Equals(a[i], b[i], StringComparison.Ordinal))
            {
                // Names only, never the columns that hold keys.
                return what + " row " + (i + 1).ToString(CultureInfo.InvariantCulture) + " differs (" + a[i].Split('|')[0] + ")";
            }
        }

        return null;
    }

    private static string? Counters(string what, IReadOnlyDictionary<string, long> source, IReadOnlyDictionary<string, long> copy)
    {
        foreach (KeyValuePair<string, long> e in source)
        {
            if (!copy.TryGetValue(e.Key, out long v) || v < e.Value)
            {
                return what + " of '" + e.Key + "' is missing or lower in the copy";
            }
        }

        return null;
    }
}
