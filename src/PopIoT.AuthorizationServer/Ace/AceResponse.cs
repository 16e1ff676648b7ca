using PopIoT.Core.Ace;
using PopIoT.Core.Cbor;
using PopIoT.Core.Coap;

namespace PopIoT.AuthorizationServer.Ace;

/// <summary>
/// What an ACE endpoint answers: a CoAP response code and an application/ace+cbor body (RFC 9200 §5.8.2, §5.8.3,
/// §5.9.2). Errors carry the error code and an error_description; <see cref="Error"/> says which, for logs and tests.
/// </summary>
public sealed class AceResponse
{
    private AceResponse(byte code, byte[] payload, int? error, string? description)
    {
        Code = code;
        Payload = payload;
        Error = error;
        Description = description;
    }

    /// <summary>The CoAP response code (2.01 on success).</summary>
    public byte Code { get; }

    /// <summary>The CBOR body.</summary>
    public byte[] Payload { get; }

    /// <summary>The error (an <see cref="AceErrorCode"/> value), or null on success.</summary>
    public int? Error { get; }

    /// <summary>The error_description, or null on success.</summary>
    public string? Description { get; }

    /// <summary>The Content-Format: application/ace+cbor (19, RFC 9200 §8.16).</summary>
    public static int ContentFormat => CoapContentFormat.AceCbor;

    /// <summary>A 2.01 (Created) answer (RFC 9200 §5.8.2, §5.9.2).</summary>
    /// <param name="payload">The encoded map.</param>
    /// <returns>The response.</returns>
    public static AceResponse Created(byte[] payload) => new(CoapCode.Created, payload, null, null);

    /// <summary>
    /// An error (RFC 9200 §5.8.3): 4.01 for invalid_client, 4.00 for every other error, with the map
    /// { error: code, error_description: text }.
    /// </summary>
    /// <param name="error">The code.</param>
    /// <param name="description">What was wrong, for a developer (never a secret).</param>
    /// <returns>The response.</returns>
    public static AceResponse Failure(int error, string description)
    {
        byte[] buffer = new byte[64 + (description.Length * 3)];
        var w = new CborWriter(buffer);
        w.WriteStartMap(2);
        w.WriteInt32(AceParameters.Error);
        w.WriteInt32(error);
        w.WriteInt32(AceParameters.ErrorDescription);
        w.WriteTextString(description);
        byte code = error == AceErrorCode.InvalidClient ? CoapCode.Unauthorized : CoapCode.BadRequest;
        return new AceResponse(code, buffer.AsSpan(0, w.BytesWritten).ToArray(), error, description);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        Error == null ? "2.01 Created (" + Payload.Length + " bytes)" : (Code == CoapCode.Unauthorized ? "4.01 " : "4.00 ") + ErrorName(Error.Value) + ": " + Description;

    /// <summary>The registered name of an error code, e.g. "invalid_scope".</summary>
    /// <param name="error">The code.</param>
    /// <returns>The name.</returns>
    public static string ErrorName(int error) =>
        AceErrorCode.Name(error) ?? error.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
