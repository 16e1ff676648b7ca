using PopIoT.Core.Ace;
using PopIoT.Core.Coap;

namespace PopIoT.Core.Device;

/// <summary>
/// The line a device logs for each request when asked to (<see cref="DeviceRuntimeSettings.LogRequests"/>, `-v` in the
/// simulator): "127.0.0.1:40344 GET /hello -> 2.05". It shows the request as it arrived: an OSCORE request is the outer
/// POST or FETCH marked "(OSCORE)", its inner method and path are in the decision lines (RFC 8613 §4.2). Built only when
/// logging requests, so the request path allocates nothing otherwise.
/// </summary>
internal static class DeviceRequestLine
{
    public static string Format(DatagramAddress peer, CoapMessage request, CoapMessage response)
    {
        string path = string.Empty;
        for (int i = 0; i < request.OptionCount; i++)
        {
            if (request.GetOptionNumber(i) == CoapOptionNumber.UriPath)
            {
                path += "/" + Text(request.GetOptionBuffer(i), request.GetOptionOffset(i), request.GetOptionLength(i));
            }
        }

        string line = Address(peer) + " " + AceDecision.MethodName(request.Code) + " " + (path.Length == 0 ? "/" : path);
        if (request.HasOption(CoapOptionNumber.Oscore))
        {
            line += " (OSCORE)";
        }

        byte code = response.Code;
        return line + " -> " + (code >> 5).ToString() + "." + (code & 0x1F).ToString("D2");
    }

    // Printable ASCII as is, anything else as '?': a log line, not a decoder (Core has no System.Text).
    private static string Text(byte[] buffer, int offset, int count)
    {
        char[] chars = new char[count];
        for (int i = 0; i < count; i++)
        {
            byte b = buffer[offset + i];
            chars[i] = b >= 0x20 && b < 0x7f ? (char)b : '?';
        }

        return new string(chars);
    }

    private static string Address(DatagramAddress peer)
    {
        if (peer == null || peer.AddressLength == 0)
        {
            return "?";
        }

        byte[] a = peer.Address;
        if (peer.AddressLength == 4)
        {
            return a[0].ToString() + "." + a[1].ToString() + "." + a[2].ToString() + "." + a[3].ToString() + ":" + peer.Port.ToString();
        }

        string s = "[";
        for (int i = 0; i < 16; i += 2)
        {
            s += (i == 0 ? string.Empty : ":") + ((a[i] << 8) | a[i + 1]).ToString("x");
        }

        return s + "]:" + peer.Port.ToString();
    }
}
