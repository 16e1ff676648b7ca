namespace PopIoT.Core.Cwt;

/// <summary>
/// Integer claim keys of a CWT claims set: RFC 8392 §3.1 and §9.1 (1..8 with cnf from RFC 8747 §3.1),
/// and RFC 9200 §8.14 (scope 9, ace_profile 38, cnonce 39, exi 40).
/// </summary>
public static class CwtClaimKey
{
    /// <summary>iss: the issuer, a text string (RFC 8392 §3.1.1).</summary>
    public const int Iss = 1;

    /// <summary>sub: the subject, a text string (RFC 8392 §3.1.2).</summary>
    public const int Sub = 2;

    /// <summary>aud: the audience, a text string or an array of them (RFC 8392 §3.1.3, RFC 7519 §4.1.3).</summary>
    public const int Aud = 3;

    /// <summary>exp: expiration time, a NumericDate (RFC 8392 §3.1.4).</summary>
    public const int Exp = 4;

    /// <summary>nbf: not before, a NumericDate (RFC 8392 §3.1.5).</summary>
    public const int Nbf = 5;

    /// <summary>iat: issued at, a NumericDate (RFC 8392 §3.1.6).</summary>
    public const int Iat = 6;

    /// <summary>cti: the CWT ID, a byte string (RFC 8392 §3.1.7).</summary>
    public const int Cti = 7;

    /// <summary>cnf: the confirmation map (RFC 8747 §3.1).</summary>
    public const int Cnf = 8;

    /// <summary>scope: a text string, a byte string, or an array (e.g. AIF, RFC 9237) (RFC 9200 §5.8.1, §8.14).</summary>
    public const int Scope = 9;

    /// <summary>ace_profile: the ACE profile, an integer (RFC 9200 §5.10.1.1, §8.14).</summary>
    public const int AceProfile = 38;

    /// <summary>cnonce: the RS's nonce echoed by the AS, a byte string (RFC 9200 §5.10.1, §8.14).</summary>
    public const int Cnonce = 39;

    /// <summary>exi: lifetime in seconds from when the RS first receives the token, an unsigned integer (RFC 9200 §5.10.3).</summary>
    public const int Exi = 40;

    /// <summary>The short name of a claim key ("iss", "exi"...), or null when it is not one of these.</summary>
    /// <param name="key">The claim key.</param>
    /// <returns>The name, or null.</returns>
    public static string Name(int key)
    {
        switch (key)
        {
            case Iss: return "iss";
            case Sub: return "sub";
            case Aud: return "aud";
            case Exp: return "exp";
            case Nbf: return "nbf";
            case Iat: return "iat";
            case Cti: return "cti";
            case Cnf: return "cnf";
            case Scope: return "scope";
            case AceProfile: return "ace_profile";
            case Cnonce: return "cnonce";
            case Exi: return "exi";
            default: return null;
        }
    }

    // Bit of a known claim in a presence mask; 0 for any other key.
    internal static int Bit(long key)
    {
        if (key >= Iss && key <= Scope)
        {
            return 1 << (int)key;
        }

        if (key >= AceProfile && key <= Exi)
        {
            return 1 << (int)(key - AceProfile + 10);
        }

        return 0;
    }
}
