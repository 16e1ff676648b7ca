using System.Globalization;

namespace PopIoT.Ace;

/// <summary>ACE profile numbers (RFC 9200 §8.8, the "ACE Profile" registry) and their names.</summary>
public static class AceProfile
{
    /// <summary>coap_dtls (RFC 9202 §11.2).</summary>
    public const int CoapDtls = 1;

    /// <summary>coap_oscore (RFC 9203 §9.1).</summary>
    public const int CoapOscore = 2;

    /// <summary>Parses "coap_oscore", "coap_dtls" or a number.</summary>
    /// <param name="text">The profile.</param>
    /// <returns>The number.</returns>
    /// <exception cref="FormatException">Neither a known name nor a non-negative number.</exception>
    public static int Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Trim().ToLowerInvariant() switch
        {
            "coap_oscore" => CoapOscore,
            "coap_dtls" => CoapDtls,
            string s when int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n) => n,
            _ => throw new FormatException("unknown ACE profile '" + text + "': use coap_oscore, coap_dtls or a number (RFC 9200 §8.8)"),
        };
    }

    /// <summary>The registered name, or the number as text.</summary>
    /// <param name="profile">The number.</param>
    /// <returns>The name.</returns>
    public static string Name(int profile) => profile switch
    {
        CoapOscore => "coap_oscore",
        CoapDtls => "coap_dtls",
        _ => profile.ToString(CultureInfo.InvariantCulture),
    };
}
