using System;

using PopIoT.Core.Cbor;

namespace PopIoT.Core.Coap;

/// <summary>
/// Routes requests to resources by Uri-Path (RFC 7252 §6.4, §5.8): 4.02 Bad Option for an unrecognized critical option
/// (RFC 7252 §5.4.1, the OSCORE option included), 4.04 Not Found for an unknown path, 4.05 Method Not
/// Allowed for a method the resource does not allow, and GET /.well-known/core answered with the RFC 6690 link format
/// of every resource (rt, if, ct, obs attributes), sliced with Block2 when large. Resources are added at start-up; the
/// link-format document is rebuilt then, so serving it allocates nothing. Paths are expected to be plain ASCII without
/// characters that RFC 3986 would percent-encode.
/// </summary>
public sealed class ResourceTable : ICoapRequestHandler
{
    private readonly CoapResource[] _resources;
    private readonly CoapResource _wellKnown;
    private readonly byte[] _links;
    private readonly byte[] _contentFormat = new byte[1] { CoapContentFormat.LinkFormat };
    private int _count;
    private int _linksLength;

    /// <summary>Creates an empty table.</summary>
    /// <param name="capacity">The most resources.</param>
    /// <param name="maxLinkFormatSize">The buffer for the /.well-known/core document.</param>
    public ResourceTable(int capacity, int maxLinkFormatSize)
    {
        if (capacity < 1 || maxLinkFormatSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity));
        }

        _resources = new CoapResource[capacity];
        _links = new byte[maxLinkFormatSize];
        _wellKnown = new CoapResource("/.well-known/core", CoapMethods.Get, this);
    }

    /// <summary>The largest block size exponent used for /.well-known/core (RFC 7959); 6 (1024 bytes) by default.</summary>
    public int MaxSzx { get; set; } = BlockOption.MaxSzx;

    /// <summary>How many resources are registered.</summary>
    public int Count => _count;

    /// <summary>The buffer holding the link-format document.</summary>
    public byte[] LinkFormatBuffer => _links;

    /// <summary>The length of the link-format document.</summary>
    public int LinkFormatLength => _linksLength;

    /// <summary>The resource at <paramref name="index"/>.</summary>
    /// <param name="index">0..Count-1.</param>
    /// <returns>The resource.</returns>
    public CoapResource Get(int index) => _resources[index];

    /// <summary>Adds a resource and rebuilds /.well-known/core. Throws when the table or link buffer is full.</summary>
    /// <param name="resource">The resource.</param>
    /// <returns>Its index in the table.</returns>
    public int Add(CoapResource resource)
    {
        if (resource == null)
        {
            throw new ArgumentNullException(nameof(resource));
        }

        if (_count == _resources.Length)
        {
            throw new InvalidOperationException("Resource table full.");
        }

        _resources[_count++] = resource;
        try
        {
            BuildLinks();
        }
        catch (IndexOutOfRangeException)
        {
            _count--;
            BuildLinks();
            throw new InvalidOperationException("The /.well-known/core document does not fit its buffer.");
        }

        return _count - 1;
    }

    /// <summary>Finds the resource a request names.</summary>
    /// <param name="request">The request.</param>
    /// <returns>The index, or -1.</returns>
    public int Find(CoapMessage request)
    {
        for (int i = 0; i < _count; i++)
        {
            if (_resources[i].Matches(request))
            {
                return i;
            }
        }

        return -1;
    }

    /// <inheritdoc/>
    public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
    {
        // RFC 7252 §5.4.1: an unrecognized critical option gets 4.02 and no resource runs. Resources never process the
        // OSCORE option (RFC 8613 §2, critical): a request that still carries it here was verified by no OSCORE layer.
        if (CoapOption.FindUnrecognizedCritical(request, false) >= 0)
        {
            response.Code = CoapCode.BadOption;
            return CoapHandlerResult.Respond;
        }

        if (_wellKnown.Matches(request))
        {
            // RFC 6690 §4: GET /.well-known/core returns the links in application/link-format.
            if (request.Code != CoapCode.Get)
            {
                response.Code = CoapCode.MethodNotAllowed;
                return CoapHandlerResult.Respond;
            }

            if (Block2Slicer.Fill(_links, 0, _linksLength, request, response, MaxSzx) != BlockwiseStatus.Error)
            {
                response.Code = CoapCode.Content;
                response.AddOption(CoapOptionNumber.ContentFormat, _contentFormat, 0, 1);
            }

            return CoapHandlerResult.Respond;
        }

        int i = Find(request);
        if (i < 0)
        {
            response.Code = CoapCode.NotFound;
            return CoapHandlerResult.Respond;
        }

        // RFC 7252 §5.9.2.6: a method the resource does not support gets 4.05.
        if (!CoapMethods.Allows(_resources[i].Methods, request.Code))
        {
            response.Code = CoapCode.MethodNotAllowed;
            return CoapHandlerResult.Respond;
        }

        return _resources[i].Handler.HandleRequest(peer, request, response);
    }

    // RFC 6690 §2: link-value *("," link-value), each "<" URI-Reference ">" *( ";" link-param ).
    private void BuildLinks()
    {
        int p = 0;
        for (int i = 0; i < _count; i++)
        {
            CoapResource r = _resources[i];
            if (i > 0)
            {
                _links[p++] = (byte)',';
            }

            _links[p++] = (byte)'<';
            p = Text(r.Path, p);
            _links[p++] = (byte)'>';
            if (r.ResourceType != null)
            {
                p = Text(";rt=\"", p);
                p = Text(r.ResourceType, p);
                _links[p++] = (byte)'"';
            }

            if (r.InterfaceDescription != null)
            {
                p = Text(";if=\"", p);
                p = Text(r.InterfaceDescription, p);
                _links[p++] = (byte)'"';
            }

            if (r.ContentFormat >= 0)
            {
                p = Text(";ct=", p);
                p = Number(r.ContentFormat, p);
            }

            if (r.Observable)
            {
                p = Text(";obs", p);
            }
        }

        _linksLength = p;
    }

    private int Text(string s, int p)
    {
        int n = Utf8.GetByteCount(s);
        if (n < 0 || n > _links.Length - p)
        {
            throw new IndexOutOfRangeException();
        }

        return p + Utf8.Encode(s, _links, p);
    }

    private int Number(int value, int p)
    {
        int digits = 1;
        for (int v = value; v >= 10; v /= 10)
        {
            digits++;
        }

        if (digits > _links.Length - p)
        {
            throw new IndexOutOfRangeException();
        }

        for (int k = digits - 1; k >= 0; k--)
        {
            _links[p + k] = (byte)('0' + (value % 10));
            value /= 10;
        }

        return p + digits;
    }
}
