using PopIoT.Coap;
using PopIoT.Core.Ace;

namespace PopIoT.Ace;

/// <summary>
/// The authorization server refused a token request (RFC 9200 §5.8.3): the CoAP response, and the error code and
/// error_description of its error map when it carried one (invalid_client, invalid_scope, unauthorized_client, ...).
/// </summary>
public sealed class AceAuthorizationException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="asUri">The AS that answered.</param>
    /// <param name="response">Its response.</param>
    /// <param name="aceError">The ACE error code (RFC 9200 Table 4: 1 invalid_request, 2 invalid_client, ...), or 0.</param>
    /// <param name="description">The error_description, or null.</param>
    public AceAuthorizationException(Uri asUri, CoapResponse response, int aceError, string? description)
        : base("the authorization server " + asUri + " refused the token request: " + (response ?? throw new ArgumentNullException(nameof(response))).CodeText
            + (aceError != 0 ? ", " + ErrorName(aceError) : string.Empty) + (description != null ? " (" + description + ")" : string.Empty))
    {
        Response = response;
        AceError = aceError;
        Description = description;
    }

    /// <summary>The AS's response (4.00, 4.01, 4.03 ...).</summary>
    public CoapResponse Response { get; }

    /// <summary>The ACE error code, or 0 when there was no error map.</summary>
    public int AceError { get; }

    /// <summary>The AS's error_description, or null.</summary>
    public string? Description { get; }

    /// <summary>The name of an ACE error code (RFC 9200 §8.4, Table 4).</summary>
    /// <param name="code">The code.</param>
    /// <returns>Its name, or the number.</returns>
    public static string ErrorName(int code) => AceErrorCode.Name(code) ?? "error " + code;
}
