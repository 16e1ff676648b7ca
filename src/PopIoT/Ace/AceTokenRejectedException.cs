using PopIoT.Coap;
using PopIoT.Core.Coap;

namespace PopIoT.Ace;

/// <summary>
/// The resource server refused the access token posted to /authz-info (RFC 9200 §5.10.1.1): the response, and the ACE
/// error map it carried (error code and description, RFC 9200 §5.8.3), when there was one.
/// </summary>
public sealed class AceTokenRejectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="response">The /authz-info response.</param>
    /// <param name="aceError">The ACE error code (RFC 9200 §5.8.3), or 0 when the response had no error map.</param>
    /// <param name="description">The error description the RS gave, or null.</param>
    public AceTokenRejectedException(CoapResponse response, int aceError, string? description)
        : base("the resource server refused the token: " + (response ?? throw new ArgumentNullException(nameof(response))).CodeText + " " + response.CodeName
            + (aceError != 0 ? ", error " + aceError : string.Empty) + (description != null ? " (" + description + ")" : string.Empty))
    {
        Response = response;
        AceError = aceError;
        Description = description;

        // RFC 7252 §5.9.3.4 and RFC 8516 §3: 5.03 and 4.29 are "not now", with Max-Age (default 60 s, RFC 7252
        // §5.10.5) saying when to try again; the token itself is fine.
        if (response.Code is CoapCode.ServiceUnavailable or CoapCode.TooManyRequests)
        {
            RetryAfter = TimeSpan.FromSeconds(response.MaxAge ?? 60);
        }
    }

    /// <summary>The /authz-info response (4.00, 4.01, 4.13 ...).</summary>
    public CoapResponse Response { get; }

    /// <summary>The ACE error code of the error map (e.g. 1 invalid_request), or 0.</summary>
    public int AceError { get; }

    /// <summary>The RS's description (its reason name), or null.</summary>
    public string? Description { get; }

    /// <summary>
    /// For a 5.03 (the RS's token table is full of clients in use, or /authz-info is overloaded) or a 4.29 (this client
    /// posted too often, RFC 8516): how long to wait before posting the token again (the response's Max-Age). Null for
    /// a refusal of the token itself, where posting it again will not help.
    /// </summary>
    public TimeSpan? RetryAfter { get; }
}
