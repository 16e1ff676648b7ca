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
}
