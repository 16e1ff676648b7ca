namespace PopIoT.Core.Ace;

/// <summary>
/// The CBOR abbreviations of the ACE parameters (application/ace+cbor maps) that the resource server, the AS and the
/// client read and write. Each map has its own table, so one number can stand for two names (e.g. 33 is grant_type in
/// a token request and token_type_hint in an introspection request).
/// Numbers checked against RFC 9200 §5.3 (AS Request Creation Hints), §5.8.3 / Table 4 (error response),
/// §5.10.1 / Table 5 (access_token), §5.8.5 (token endpoint), §5.9.4 (introspection) and RFC 9203 §9.2 (nonce1, nonce2,
/// ace_client_recipientid, ace_server_recipientid).
/// </summary>
public static class AceParameters
{
    /// <summary>access_token (RFC 9200 §5.8.2, CBOR key 1): the token in a POST to /authz-info.</summary>
    public const int AccessToken = 1;

    /// <summary>AS (RFC 9200 §5.3, CBOR key 1): the absolute URI of the authorization server, in Creation Hints.</summary>
    public const int As = 1;

    /// <summary>kid (RFC 9200 §5.3, CBOR key 2): the key identifier the client should use, in Creation Hints.</summary>
    public const int Kid = 2;

    /// <summary>audience (RFC 9200 §5.3, CBOR key 5), in Creation Hints.</summary>
    public const int Audience = 5;

    /// <summary>scope (RFC 9200 §5.3, CBOR key 9), in Creation Hints.</summary>
    public const int Scope = 9;

    /// <summary>error (RFC 9200 §5.8.3, CBOR key 30): the error code of an error response.</summary>
    public const int Error = 30;

    /// <summary>error_description (RFC 9200 §5.8.3, CBOR key 31): human- and machine-readable detail (here the reason name).</summary>
    public const int ErrorDescription = 31;

    /// <summary>cnonce (RFC 9200 §5.3, CBOR key 39): the nonce a clockless RS asks the AS to put in the token.</summary>
    public const int Cnonce = 39;

    /// <summary>nonce1 (RFC 9203 §4.1, §9.2, CBOR key 40): the client's nonce.</summary>
    public const int Nonce1 = 40;

    /// <summary>nonce2 (RFC 9203 §4.2, §9.2, CBOR key 42): the resource server's nonce.</summary>
    public const int Nonce2 = 42;

    /// <summary>ace_client_recipientid (RFC 9203 §4.1, §9.2, CBOR key 43): the client's OSCORE Recipient ID.</summary>
    public const int AceClientRecipientId = 43;

    /// <summary>ace_server_recipientid (RFC 9203 §4.2, §9.2, CBOR key 44): the resource server's OSCORE Recipient ID.</summary>
    public const int AceServerRecipientId = 44;

    /// <summary>expires_in (2), unsigned integer seconds.</summary>
    public const int ExpiresIn = 2;

    /// <summary>req_cnf (4), RFC 9201 §5: the PoP key the client asks to be bound.</summary>
    public const int ReqCnf = 4;

    /// <summary>cnf (8), RFC 9201 §5: the PoP key given to the client.</summary>
    public const int Cnf = 8;

    /// <summary>client_id (24), text string.</summary>
    public const int ClientId = 24;

    /// <summary>error_uri (32), text string.</summary>
    public const int ErrorUri = 32;

    /// <summary>grant_type (33), unsigned integer (client_credentials = 2, RFC 9200 §5.8.4.1 Table 4).</summary>
    public const int GrantType = 33;

    /// <summary>token_type (34), integer; "pop" is the default (RFC 9200 §5.8.4.2).</summary>
    public const int TokenType = 34;

    /// <summary>ace_profile (38), integer, or null in a request to ask for it (RFC 9200 §5.8.4.3).</summary>
    public const int AceProfile = 38;

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
