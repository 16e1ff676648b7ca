using System.Globalization;
using PopIoT.Core.Coap;

namespace PopIoT.Coap;

/// <summary>
/// A CoAP response: code, options and the whole body (reassembled from Block2 blocks, RFC 7959). Server handlers
/// return one; the client returns one per request, and one per notification when observing.
/// </summary>
public sealed class CoapResponse
{
    /// <summary>Creates a response.</summary>
    /// <param name="code">The response code, e.g. <see cref="CoapCode.Content"/>.</param>
    /// <param name="payload">The body.</param>
    /// <param name="contentFormat">The Content-Format, or null.</param>
    public CoapResponse(byte code, ReadOnlyMemory<byte> payload = default, int? contentFormat = null)
    {
        if (!CoapCode.IsResponse(code))
        {
            throw new ArgumentOutOfRangeException(nameof(code), "Not a CoAP response code.");
        }

        Code = code;
        Payload = payload;
        ContentFormat = contentFormat;
    }

    /// <summary>The response code.</summary>
    public byte Code { get; }

    /// <summary>The code in "c.dd" form (RFC 7252 §3), e.g. "2.05".</summary>
    public string CodeText => FormatCode(Code);

    /// <summary>The code's name from RFC 7252 §12.1.2, e.g. "Content".</summary>
    public string CodeName => NameOf(Code);

    /// <summary>Whether the code is of class 2 (Success).</summary>
    public bool IsSuccess => CoapCode.ClassOf(Code) == 2;

    /// <summary>The whole body.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The body as UTF-8 text.</summary>
    public string PayloadText => System.Text.Encoding.UTF8.GetString(Payload.Span);

    /// <summary>The Content-Format option, or null.</summary>
    public int? ContentFormat { get; }

    /// <summary>The Observe sequence number of a notification (RFC 7641 §3.4), or null.</summary>
    public uint? Observe => GetOption(CoapOptionNumber.Observe)?.AsUInt();

    /// <summary>The Max-Age option (RFC 7252 §5.10.5), or null.</summary>
    public uint? MaxAge => GetOption(CoapOptionNumber.MaxAge)?.AsUInt();

    /// <summary>
    /// Options. On a received response: every option of the (last) message as received, in order. On a server
    /// response: extra options to send (Content-Format, Observe, Block2 and Size2 are added by the server).
    /// </summary>
    public IList<CoapOptionValue> Options { get; } = new List<CoapOptionValue>();

    /// <summary>The first option with this number, or null.</summary>
    /// <param name="number">The option number.</param>
    /// <returns>The option value.</returns>
    public CoapOptionValue? GetOption(int number)
    {
        foreach (CoapOptionValue o in Options)
        {
            if (o.Number == number)
            {
                return o;
            }
        }

        return null;
    }

    /// <summary>A code in "c.dd" form.</summary>
    /// <param name="code">The code byte.</param>
    /// <returns>E.g. "4.04".</returns>
    public static string FormatCode(byte code) =>
        CoapCode.ClassOf(code).ToString(CultureInfo.InvariantCulture) + "." + CoapCode.DetailOf(code).ToString("00", CultureInfo.InvariantCulture);

    /// <summary>The RFC 7252 §12.1.2 (and RFC 7959) name of a response code, or "".</summary>
    /// <param name="code">The code byte.</param>
    /// <returns>The name.</returns>
    public static string NameOf(byte code) => code switch
    {
        CoapCode.Created => "Created",
        CoapCode.Deleted => "Deleted",
        CoapCode.Valid => "Valid",
        CoapCode.Changed => "Changed",
        CoapCode.Content => "Content",
        CoapCode.Continue => "Continue",
        CoapCode.BadRequest => "Bad Request",
        CoapCode.Unauthorized => "Unauthorized",
        CoapCode.BadOption => "Bad Option",
        CoapCode.Forbidden => "Forbidden",
        CoapCode.NotFound => "Not Found",
        CoapCode.MethodNotAllowed => "Method Not Allowed",
        CoapCode.NotAcceptable => "Not Acceptable",
        CoapCode.RequestEntityIncomplete => "Request Entity Incomplete",
        CoapCode.PreconditionFailed => "Precondition Failed",
        CoapCode.RequestEntityTooLarge => "Request Entity Too Large",
        CoapCode.UnsupportedContentFormat => "Unsupported Content-Format",
        CoapCode.TooManyRequests => "Too Many Requests",
        CoapCode.InternalServerError => "Internal Server Error",
        CoapCode.NotImplemented => "Not Implemented",
        CoapCode.BadGateway => "Bad Gateway",
        CoapCode.ServiceUnavailable => "Service Unavailable",
        CoapCode.GatewayTimeout => "Gateway Timeout",
        CoapCode.ProxyingNotSupported => "Proxying Not Supported",
        _ => "",
    };
}
