using System.Text;
using PopIoT.IO;

namespace PopIoT.Ace;

/// <summary>
/// Tokens kept next to a client credential: <c>ID.json.token.AUDIENCE.json</c>, one TOKEN.json per audience (the format
/// <c>token mint</c> writes, so <c>cwt decode @FILE</c> reads it), owner-only like every file holding a secret. The
/// file's write time is the token's issue time. A file that cannot be read is ignored (a new token is fetched).
/// </summary>
/// <param name="credentialFile">The client's credential file (ID.json).</param>
public sealed class FileAceTokenCache(string credentialFile) : IAceTokenCache
{
    /// <summary>The file that keeps the token for an audience.</summary>
    /// <param name="audience">The audience.</param>
    /// <returns>Its path.</returns>
    public string PathFor(string audience)
    {
        ArgumentNullException.ThrowIfNull(audience);
        bool plain = audience.Length is > 0 and <= 64 && audience.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && audience[0] != '.';
        return credentialFile + ".token." + (plain ? audience : Convert.ToHexStringLower(Encoding.UTF8.GetBytes(audience))[..Math.Min(128, audience.Length * 2)]) + ".json";
    }

    /// <inheritdoc/>
    public AccessTokenFile? Load(string audience, out DateTimeOffset issuedAt)
    {
        string path = PathFor(audience);
        issuedAt = default;
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            AccessTokenFile file = AccessTokenFile.Load(path);
            issuedAt = new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero);
            return file.Audience == null || file.Audience == audience ? file : null;
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public void Save(string audience, AccessTokenFile token, DateTimeOffset issuedAt)
    {
        ArgumentNullException.ThrowIfNull(token);
        string path = PathFor(audience);
        token.Save(path, overwrite: true);
        File.SetLastWriteTimeUtc(path, issuedAt.UtcDateTime);
    }
}
