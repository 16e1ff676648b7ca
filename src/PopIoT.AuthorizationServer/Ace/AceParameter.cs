namespace PopIoT.AuthorizationServer.Ace;

/// <summary>
/// The CBOR map keys of the ACE token and introspection endpoints. Token endpoint: RFC 9200 §5.8.5 Table 5, with
/// req_cnf (4), cnf (8) and rs_cnf (41) from RFC 9201 §5. Introspection: RFC 9200 §5.9.4 Table 6 (cnf 8 from
/// RFC 9201). Keys that correspond to a CWT claim share its number (RFC 8392 §4), e.g. scope 9.
/// </summary>
public static class AceParameter
{
    /// <summary>access_token (1), byte string.</summary>
    public const int AccessToken = 1;

    /// <summary>expires_in (2), unsigned integer seconds.</summary>
    public const int ExpiresIn = 2;

    /// <summary>req_cnf (4), RFC 9201 §5: the PoP key the client asks to be bound.</summary>
    public const int ReqCnf = 4;

    /// <summary>audience (5), text string (RFC 8693).</summary>
    public const int Audience = 5;

    /// <summary>cnf (8), RFC 9201 §5: the PoP key given to the client.</summary>
    public const int Cnf = 8;

    /// <summary>scope (9), text or byte string (here also an AIF array, RFC 9237).</summary>
    public const int Scope = 9;

    /// <summary>client_id (24), text string.</summary>
    public const int ClientId = 24;

    /// <summary>error (30), integer (<see cref="AceErrorCode"/>).</summary>
    public const int Error = 30;

    /// <summary>error_description (31), text string.</summary>
    public const int ErrorDescription = 31;

    /// <summary>error_uri (32), text string.</summary>
    public const int ErrorUri = 32;

    /// <summary>grant_type (33), unsigned integer (client_credentials = 2, RFC 9200 §5.8.4.1 Table 4).</summary>
    public const int GrantType = 33;

    /// <summary>token_type (34), integer; "pop" is the default (RFC 9200 §5.8.4.2).</summary>
    public const int TokenType = 34;

    /// <summary>ace_profile (38), integer, or null in a request to ask for it (RFC 9200 §5.8.4.3).</summary>
    public const int AceProfile = 38;

    /// <summary>cnonce (39), byte string (RFC 9200 §5.8.4.4).</summary>
    public const int Cnonce = 39;

    /// <summary>rs_cnf (41), RFC 9201 §5: the RS's key for asymmetric PoP.</summary>
    public const int RsCnf = 41;

    /// <summary>Introspection: aud (3).</summary>
    public const int IntrospectAud = 3;

    /// <summary>Introspection: exp (4).</summary>
    public const int IntrospectExp = 4;

    /// <summary>Introspection: iat (6).</summary>
    public const int IntrospectIat = 6;

    /// <summary>Introspection: cti (7).</summary>
    public const int IntrospectCti = 7;

    /// <summary>Introspection: active (10), true or false.</summary>
    public const int Active = 10;

    /// <summary>Introspection request: token (11), byte string.</summary>
    public const int Token = 11;

    /// <summary>Introspection request: token_type_hint (33).</summary>
    public const int TokenTypeHint = 33;

    /// <summary>Introspection: exi (40), unsigned integer seconds (RFC 9200 §5.9.4 Table 6).</summary>
    public const int Exi = 40;

    /// <summary>grant_type value client_credentials (RFC 9200 §5.8.4.1 Table 4).</summary>
    public const int GrantClientCredentials = 2;

    /// <summary>token_type value "PoP" (RFC 9200 §8.7: the CBOR abbreviation 2).</summary>
    public const int TokenTypePop = 2;
}
