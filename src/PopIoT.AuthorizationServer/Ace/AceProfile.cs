namespace PopIoT.AuthorizationServer.Ace;

/// <summary>ACE profile identifiers ("ACE Profiles" registry, RFC 9200 §8.8) and their names.</summary>
public static class AceProfile
{
    /// <summary>coap_dtls (1), RFC 9202 §11.</summary>
    public const int CoapDtls = PopIoT.Core.Ace.AceProfile.CoapDtls;

    /// <summary>coap_oscore (2), RFC 9203 §9.1.</summary>
    public const int CoapOscore = PopIoT.Core.Ace.AceProfile.CoapOscore;

    /// <summary>The registered name of a profile, or its number as text.</summary>
    /// <param name="profile">The CBOR value.</param>
    /// <returns>The name.</returns>
    public static string Name(int profile) => profile switch
    {
        CoapDtls => "coap_dtls",
        CoapOscore => "coap_oscore",
        _ => profile.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Parses "coap_oscore", "coap_dtls" or a number.</summary>
    /// <param name="text">The name or number.</param>
    /// <param name="profile">The CBOR value.</param>
    /// <returns>True when known.</returns>
    public static bool TryParse(string text, out int profile)
    {
        profile = text switch
        {
            "coap_dtls" or "1" => CoapDtls,
            "coap_oscore" or "2" => CoapOscore,
            _ => 0,
        };
        return profile != 0;
    }
}
