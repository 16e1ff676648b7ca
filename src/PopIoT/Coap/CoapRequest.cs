using System.Net;
using PopIoT.Core.Coap;

namespace PopIoT.Coap;

/// <summary>
/// A CoAP request as the application sees it: method, target, options and the whole body (block-wise transfer is done
/// underneath, RFC 7959). A client builds one with a <see cref="Uri"/>; a server handler receives one with
/// <see cref="Path"/>, <see cref="Query"/> and <see cref="RemoteEndPoint"/> filled in.
/// </summary>
public sealed class CoapRequest
{
    private Uri? _proxy;

    /// <summary>Creates a client request.</summary>
    /// <param name="method">The method code (<see cref="CoapCode.Get"/> .. <see cref="CoapCode.Delete"/>, or another request code).</param>
    /// <param name="uri">The target: <c>coap://host[:port]/path?query</c>; IPv6 literals in brackets.</param>
    public CoapRequest(byte method, Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!CoapCode.IsRequest(method))
        {
            throw new ArgumentOutOfRangeException(nameof(method), "Not a CoAP request code.");
        }

        CoapUri.Validate(uri);
        Method = method;
        Uri = uri;
        Path = CoapUri.Path(uri);
        Query = CoapUri.Query(uri);
    }

    internal CoapRequest(byte method, string path, IReadOnlyList<string> query, EndPoint remote)
    {
        Method = method;
        Path = path;
        Query = query;
        RemoteEndPoint = remote;
    }

    /// <summary>The method code.</summary>
    public byte Method { get; }

    /// <summary>The target URI (client requests only).</summary>
    public Uri? Uri { get; }

    /// <summary>The path, "/" joined Uri-Path options (RFC 7252 §6.5), always starting with '/'.</summary>
    public string Path { get; }

    /// <summary>The Uri-Query options, in order.</summary>
    public IReadOnlyList<string> Query { get; }

    /// <summary>
    /// Client side: the forward proxy (<c>coap://host[:port]</c>) the request is sent to instead of the URI's host
    /// (RFC 7252 §5.7.2), or null to send it to the origin. The request then names its target with one Proxy-Uri option
    /// (as libcoap's <c>coap-client -P</c> does), or with Proxy-Scheme, Uri-Host and Uri-Port when
    /// <see cref="ProxySchemeForm"/> is set or the request is protected with OSCORE (RFC 8613 §4.1.3.3).
    /// </summary>
    public Uri? Proxy
    {
        get => _proxy;
        set
        {
            if (value != null)
            {
                CoapUri.Validate(value);
                if (value.AbsolutePath.Length > 1 || value.Query.Length > 0)
                {
                    throw new FormatException("'" + value.OriginalString + "': a proxy is named by coap://host[:port] alone, without a path or query");
                }
            }

            _proxy = value;
        }
    }

    /// <summary>
    /// With <see cref="Proxy"/>: name the target with Proxy-Scheme, Uri-Host, Uri-Port, Uri-Path and Uri-Query rather than
    /// one Proxy-Uri (RFC 7252 §5.10.2 allows either). An OSCORE request always uses this form: RFC 8613 §4.1.3.3 has the
    /// client decompose Proxy-Uri so that the path and query travel inside the protection and the proxy sees only the
    /// scheme, host and port.
    /// </summary>
    public bool ProxySchemeForm { get; set; }

    /// <summary>The sender (server side only).</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>
    /// Server side: the OSCORE security context that verified this request (RFC 8613 §8.2), or null when the request
    /// was not protected. It names the peer: the application authenticates it by this context (e.g. RFC 9203 §5).
    /// </summary>
    public PopIoT.Core.Oscore.SecurityContext? OscoreContext { get; internal set; }

    /// <summary>
    /// Server side: the psk_identity the DTLS session this request arrived on was established with (RFC 4279 §2, RFC 7252
    /// §9.1.3.1), opaque bytes, or null when it did not come over DTLS. It names the peer, as <see cref="OscoreContext"/>
    /// does for OSCORE.
    /// </summary>
    public byte[]? DtlsPskIdentity { get; internal set; }

    /// <summary>CON (true, the default) or NON (RFC 7252 §2.2).</summary>
    public bool Confirmable { get; set; } = true;

    /// <summary>The whole request body.</summary>
    public ReadOnlyMemory<byte> Payload { get; set; }

    /// <summary>The Content-Format option (RFC 7252 §5.10.3), or null.</summary>
    public int? ContentFormat { get; set; }

    /// <summary>The Accept option (RFC 7252 §5.10.4), or null.</summary>
    public int? Accept { get; set; }

    /// <summary>
    /// The block size for Block1 and the early Block2 negotiation (RFC 7959 §2.4), 16..1024 (a power of two), or null for
    /// the client's default (requests ask for no particular size; bodies above 1024 bytes go out in 1024-byte blocks).
    /// </summary>
    public int? BlockSize { get; set; }

    /// <summary>
    /// Further options (ETag, If-Match, Observe on the server side...). On the client side these are sent as given; Uri-*,
    /// Content-Format, Accept, Block1/2 and Size1/2 come from the properties above.
    /// </summary>
    public IList<CoapOptionValue> Options { get; } = new List<CoapOptionValue>();

    /// <summary>The request body as UTF-8 text.</summary>
    public string PayloadText => System.Text.Encoding.UTF8.GetString(Payload.Span);

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

    /// <summary>
    /// The same client request to another URI (a gateway moving it between an RS's coap:// and coaps:// ports,
    /// RFC 7252 §6.1–6.2): method, payload, formats, block size, confirmability and the further options.
    /// </summary>
    /// <param name="uri">The new target.</param>
    /// <returns>This request when the URI is the same, else a copy.</returns>
    public CoapRequest WithUri(Uri uri)
    {
        if (uri == Uri)
        {
            return this;
        }

        var copy = new CoapRequest(Method, uri)
        {
            Payload = Payload,
            ContentFormat = ContentFormat,
            Accept = Accept,
            BlockSize = BlockSize,
            Confirmable = Confirmable,
        };
        foreach (CoapOptionValue option in Options)
        {
            copy.Options.Add(option);
        }

        return copy;
    }
}
