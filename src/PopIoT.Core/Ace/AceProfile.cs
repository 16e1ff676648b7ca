namespace PopIoT.Core.Ace;

/// <summary>The ace_profile values of the "ACE Profile" registry (RFC 9200 §8.8; RFC 9202 §10.1; RFC 9203 §9.1).</summary>
public static class AceProfile
{
    /// <summary>coap_dtls (RFC 9202): 1.</summary>
    public const int CoapDtls = 1;

    /// <summary>coap_oscore (RFC 9203 §9.1): 2. The only profile this engine serves.</summary>
    public const int CoapOscore = 2;
}
