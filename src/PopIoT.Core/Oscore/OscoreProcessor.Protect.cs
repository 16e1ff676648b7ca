using System;
using PopIoT.Core.Coap;

namespace PopIoT.Core.Oscore;

/// <summary>
/// The steps of protecting a request or a response: what may be protected, the plaintext (RFC 8613 §5.3), the outer
/// message (§4.1, §4.2) and the AAD (§5.4), which verifying builds too.
/// </summary>
public sealed partial class OscoreProcessor
{
    private static OscoreStatus CheckProtectable(CoapMessage message)
    {
        // RFC 8613 §4.1.3.3: Proxy-Uri must be decomposed before protection; this endpoint does not do that.
        if (message.HasOption(CoapOptionNumber.ProxyUri))
        {
            return OscoreStatus.Unsupported;
        }

        int keep = 0;
        for (int i = 0; i < message.OptionCount; i++)
        {
            int n = message.GetOptionNumber(i);
            if (OscoreOptionClass.IsKeptOuter(n) && n != CoapOptionNumber.Oscore)
            {
                keep++;
            }
        }

        return keep + 1 > message.OptionCapacity ? OscoreStatus.MessageTooLarge : OscoreStatus.Ok;
    }

    // RFC 8613 §5.3: plaintext = Code, class E options (RFC 7252 §3.1 encoding), 0xFF and payload when there is one.
    // Returns -1 when it does not fit, -2 for an option this endpoint cannot protect.
    private int BuildPlaintext(CoapMessage message, bool isResponse)
    {
        byte[] d = _plainOut;
        int cap = d.Length;
        int p = 0;
        d[p++] = message.Code;
        int previous = 0;
        for (int i = 0; i < message.OptionCount; i++)
        {
            int n = message.GetOptionNumber(i);
            if (!OscoreOptionClass.IsClassE(n))
            {
                continue;
            }

            int length = message.GetOptionLength(i);
            // RFC 8613 §4.1.3.5.2: the Inner Observe of a notification is empty.
            if (isResponse && n == CoapOptionNumber.Observe)
            {
                length = 0;
            }

            int delta = n - previous;
            previous = n;
            if (cap - p < 5 + length)
            {
                return -1;
            }

            p = CoapMessage.WriteOptionHeader(d, p, delta, length);
            if (length > 0)
            {
                Array.Copy(message.GetOptionBuffer(i), message.GetOptionOffset(i), d, p, length);
                p += length;
            }
        }

        int payload = message.PayloadLength;
        if (payload > 0)
        {
            if (cap - p < 1 + payload)
            {
                return -1;
            }

            d[p++] = 0xFF;
            Array.Copy(message.PayloadBuffer, message.PayloadOffset, d, p, payload);
            p += payload;
        }

        return p;
    }

    // RFC 8613 §4.1, §4.2: drop the Inner-only options from the outer message, set the Outer Code, add the OSCORE option
    // and make the ciphertext the payload.
    private void Finish(CoapMessage message, byte outerCode, int optionLength, int cipherLength)
    {
        int j = 0;
        while (j < message.OptionCount)
        {
            int n = message.GetOptionNumber(j);
            if (!OscoreOptionClass.IsKeptOuter(n) || n == CoapOptionNumber.Oscore)
            {
                message.RemoveOption(n);
            }
            else
            {
                j++;
            }
        }

        message.AddOption(CoapOptionNumber.Oscore, optionLength == 0 ? null : _optionOut, 0, optionLength);
        message.Code = outerCode;
        message.SetPayload(_cipherOut, 0, cipherLength);
    }

    // RFC 8613 §5.4: AAD = Enc_structure ["Encrypt0", h'', external_aad], external_aad = bstr .cbor aad_array, and
    // aad_array = [oscore_version: 1, [alg_aead], request_kid, request_piv, options: h''] (no class I options exist).
    private int BuildAad(int algorithm, ByteRange kid, ByteRange piv)
    {
        byte[] a = _aad;
        int algLength = algorithm < 24 ? 1 : 2;
        int arrayLength = 3 + algLength + 1 + kid.Count + 1 + piv.Count + 1;
        int p = 0;
        a[p++] = 0x83;
        a[p++] = 0x68;
        a[p++] = (byte)'E';
        a[p++] = (byte)'n';
        a[p++] = (byte)'c';
        a[p++] = (byte)'r';
        a[p++] = (byte)'y';
        a[p++] = (byte)'p';
        a[p++] = (byte)'t';
        a[p++] = (byte)'0';
        a[p++] = 0x40;
        a[p++] = (byte)(0x40 | arrayLength);
        a[p++] = 0x85;
        a[p++] = 0x01;
        a[p++] = 0x81;
        p = SecurityContextDerivation.WriteUint(algorithm, a, p);
        p = SecurityContextDerivation.WriteBstr(kid.Buffer, kid.Offset, kid.Count, a, p);
        p = SecurityContextDerivation.WriteBstr(piv.Buffer, piv.Offset, piv.Count, a, p);
        a[p++] = 0x40;
        return p;
    }
}
