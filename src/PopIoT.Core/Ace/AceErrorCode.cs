namespace PopIoT.Core.Ace;

/// <summary>
/// The CBOR abbreviations of the OAuth error codes (RFC 9200 §8.4, Table 10 "CBOR Abbreviations for Common Error
/// Codes"), written as the error (30) member of an application/ace+cbor error map.
/// </summary>
public static class AceErrorCode
{
    /// <summary>invalid_request: the request is malformed (4.00).</summary>
    public const int InvalidRequest = 1;

    /// <summary>invalid_client.</summary>
    public const int InvalidClient = 2;

    /// <summary>invalid_grant: here, a token that does not verify, is expired or is not for this RS.</summary>
    public const int InvalidGrant = 3;

    /// <summary>unauthorized_client.</summary>
    public const int UnauthorizedClient = 4;

    /// <summary>unsupported_grant_type.</summary>
    public const int UnsupportedGrantType = 5;

    /// <summary>invalid_scope: the token's scope cannot be understood.</summary>
    public const int InvalidScope = 6;

    /// <summary>unsupported_pop_key: the cnf is not one this profile can use.</summary>
    public const int UnsupportedPopKey = 7;

    /// <summary>incompatible_ace_profiles: the token's ace_profile is not coap_oscore.</summary>
    public const int IncompatibleAceProfiles = 8;

    /// <summary>The registered name of an error code (RFC 9200 §8.4, Table 4), e.g. "invalid_scope"; null when unknown.</summary>
    /// <param name="code">The code.</param>
    /// <returns>The name, or null.</returns>
    public static string Name(int code)
    {
        switch (code)
        {
            case InvalidRequest: return "invalid_request";
            case InvalidClient: return "invalid_client";
            case InvalidGrant: return "invalid_grant";
            case UnauthorizedClient: return "unauthorized_client";
            case UnsupportedGrantType: return "unsupported_grant_type";
            case InvalidScope: return "invalid_scope";
            case UnsupportedPopKey: return "unsupported_pop_key";
            case IncompatibleAceProfiles: return "incompatible_ace_profiles";
            default: return null;
        }
    }
}
