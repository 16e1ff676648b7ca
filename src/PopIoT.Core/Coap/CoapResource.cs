using System;

using PopIoT.Core.Cbor;

namespace PopIoT.Core.Coap;

/// <summary>
/// One entry of a <see cref="ResourceTable"/>: a path (split into Uri-Path segments, RFC 7252 §6.4), the allowed
/// methods, the handler, and the RFC 6690 attributes advertised in /.well-known/core. Built at start-up.
/// </summary>
public sealed class CoapResource
{
    private readonly byte[][] _segments;

    /// <summary>Creates a resource.</summary>
    /// <param name="path">The path, e.g. "/sensors/temp" ("/" or "" for the root).</param>
    /// <param name="methods">The allowed methods (<see cref="CoapMethods"/> flags).</param>
    /// <param name="handler">The code that serves it.</param>
    public CoapResource(string path, int methods, ICoapRequestHandler handler)
    {
        if (path == null || handler == null)
        {
            throw new ArgumentNullException(path == null ? nameof(path) : nameof(handler));
        }

        int start = path.Length > 0 && path[0] == '/' ? 1 : 0;
        int count = 0;
        if (start < path.Length)
        {
            count = 1;
            for (int i = start; i < path.Length; i++)
            {
                if (path[i] == '/')
                {
                    count++;
                }
            }
        }

        _segments = new byte[count][];
        int s = 0;
        for (int i = start; i <= path.Length && s < count; i++)
        {
            if (i == path.Length || path[i] == '/')
            {
                string segment = path.Substring(start, i - start);
                int n = Utf8.GetByteCount(segment);
                if (n < 0)
                {
                    throw new ArgumentException("The path has an unpaired surrogate.", nameof(path));
                }

                _segments[s] = new byte[n];
                Utf8.Encode(segment, _segments[s], 0);
                s++;
                start = i + 1;
            }
        }

        Path = path.Length > 0 && path[0] == '/' ? path : "/" + path;
        Methods = methods;
        Handler = handler;
        ContentFormat = -1;
    }

    /// <summary>The path as given, with a leading '/'.</summary>
    public string Path { get; }

    /// <summary>The allowed methods (<see cref="CoapMethods"/> flags).</summary>
    public int Methods { get; }

    /// <summary>The handler.</summary>
    public ICoapRequestHandler Handler { get; }

    /// <summary>RFC 6690 §3.1 rt: resource type, or null.</summary>
    public string ResourceType { get; set; }

    /// <summary>RFC 6690 §3.2 if: interface description, or null.</summary>
    public string InterfaceDescription { get; set; }

    /// <summary>RFC 7252 §7.2.1 ct: the Content-Format served, or -1.</summary>
    public int ContentFormat { get; set; }

    /// <summary>RFC 7641 §6 obs: the resource can be observed.</summary>
    public bool Observable { get; set; }

    /// <summary>Whether the request's Uri-Path options equal this resource's segments (byte for byte).</summary>
    /// <param name="request">The request.</param>
    /// <returns>True if the path matches.</returns>
    public bool Matches(CoapMessage request)
    {
        int seg = 0;
        int count = request.OptionCount;
        for (int i = 0; i < count; i++)
        {
            int number = request.GetOptionNumber(i);
            if (number < CoapOptionNumber.UriPath)
            {
                continue;
            }

            if (number > CoapOptionNumber.UriPath)
            {
                break;
            }

            if (seg == _segments.Length || !request.OptionEquals(i, _segments[seg]))
            {
                return false;
            }

            seg++;
        }

        return seg == _segments.Length;
    }
}
