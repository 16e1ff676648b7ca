namespace PopIoT.Core.Ace;

/// <summary>
/// The CBOR abbreviations of the ACE parameters the resource server reads and writes (application/ace+cbor maps).
/// Numbers checked against RFC 9200 §5.3 (AS Request Creation Hints), §5.8.3 / Table 4 (error response),
/// §5.10.1 / Table 5 (access_token) and RFC 9203 §9.2 (nonce1, nonce2, ace_client_recipientid, ace_server_recipientid).
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
}
