namespace PopIoT.AuthorizationServer.Ace;

/// <summary>The error codes of the token and introspection endpoints with their CBOR values (RFC 9200 §5.8.3 Table 3).</summary>
public enum AceErrorCode
{
    /// <summary>invalid_request (1): malformed, missing or duplicated parameters (RFC 6749 §5.2).</summary>
    InvalidRequest = PopIoT.Core.Ace.AceErrorCode.InvalidRequest,

    /// <summary>invalid_client (2): the client (or RS) is not authenticated; sent with 4.01.</summary>
    InvalidClient = PopIoT.Core.Ace.AceErrorCode.InvalidClient,

    /// <summary>invalid_grant (3).</summary>
    InvalidGrant = PopIoT.Core.Ace.AceErrorCode.InvalidGrant,

    /// <summary>unauthorized_client (4): the authenticated client may not have this.</summary>
    UnauthorizedClient = PopIoT.Core.Ace.AceErrorCode.UnauthorizedClient,

    /// <summary>unsupported_grant_type (5).</summary>
    UnsupportedGrantType = PopIoT.Core.Ace.AceErrorCode.UnsupportedGrantType,

    /// <summary>invalid_scope (6): the scope is malformed or nothing of it is granted.</summary>
    InvalidScope = PopIoT.Core.Ace.AceErrorCode.InvalidScope,

    /// <summary>unsupported_pop_key (7): the req_cnf key cannot be used with the RS.</summary>
    UnsupportedPopKey = PopIoT.Core.Ace.AceErrorCode.UnsupportedPopKey,

    /// <summary>incompatible_ace_profiles (8): the client and the RS share no profile.</summary>
    IncompatibleAceProfiles = PopIoT.Core.Ace.AceErrorCode.IncompatibleAceProfiles,
}
