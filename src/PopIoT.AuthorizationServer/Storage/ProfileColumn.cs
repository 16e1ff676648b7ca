using System.Globalization;

namespace PopIoT.AuthorizationServer.Storage;

/// <summary>
/// How both stores keep a list of ACE profiles (RFC 9200 §5.8.4.3) in one text column: the profile numbers, comma
/// separated, in order (for a client, most preferred first).
/// </summary>
internal static class ProfileColumn
{
    /// <summary>The column value.</summary>
    /// <param name="profiles">The profile numbers.</param>
    /// <returns>E.g. "1,2".</returns>
    public static string Format(int[] profiles) => string.Join(',', profiles.Select(p => p.ToString(CultureInfo.InvariantCulture)));

    /// <summary>The profile numbers of a column value.</summary>
    /// <param name="value">E.g. "1,2".</param>
    /// <returns>The numbers, in order.</returns>
    public static int[] Parse(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
}
