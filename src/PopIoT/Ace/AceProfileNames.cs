using System.Globalization;
using PopIoT.Core.Ace;

namespace PopIoT.Ace;

/// <summary>The names of ACE profiles (RFC 9200 §8.8, the "ACE Profile" registry) for files and the command line.</summary>
public static class AceProfileNames
{
    /// <summary>Parses "coap_oscore", "coap_dtls" or a number.</summary>
    /// <param name="text">The profile.</param>
    /// <returns>The number.</returns>
    /// <exception cref="FormatException">Neither a known name nor a non-negative number.</exception>
    public static int Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Trim().ToLowerInvariant() switch
        {
            "coap_oscore" => AceProfile.CoapOscore,
            "coap_dtls" => AceProfile.CoapDtls,
            string s when int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n) => n,
            _ => throw new FormatException("unknown ACE profile '" + text + "': use coap_oscore, coap_dtls or a number (RFC 9200 §8.8)"),
        };
    }

    /// <summary>The registered name, or the number as text.</summary>
    /// <param name="profile">The number.</param>
    /// <returns>The name.</returns>
    public static string Name(int profile) => profile switch
    {
        AceProfile.CoapOscore => "coap_oscore",
        AceProfile.CoapDtls => "coap_dtls",
        _ => profile.ToString(CultureInfo.InvariantCulture),
    };
}
