using PopIoT.Core.Coap;

namespace PopIoT.Core.Oscore;

/// <summary>
/// The steps of verifying a request or a response: the OSCORE option (RFC 8613 §2, §6), the decryption (§5), the plaintext's
/// Inner options (§5.3) and the rebuilt message (§8.2 steps 1 and 7).
/// </summary>
public sealed partial class OscoreProcessor
{
    // Finds and decodes the single OSCORE option (RFC 8613 §2: it is not repeatable).
    private OscoreStatus DecodeOption(CoapMessage message, out int at)
    {
        at = message.FindOption(CoapOptionNumber.Oscore);
        if (at < 0)
        {
            return OscoreStatus.NotProtected;
        }

        if (message.FindOption(CoapOptionNumber.Oscore, at + 1) >= 0)
        {
            return OscoreStatus.BadOption;
        }

        if (!_option.Decode(message.GetOptionBuffer(at), message.GetOptionOffset(at), message.GetOptionLength(at)))
        {
            return OscoreStatus.BadOption;
        }

        return OscoreStatus.Ok;
    }

    // RFC 8613 §5.2 nonce from (ID_PIV, Partial IV); §5.4 AAD from (request_kid, request_piv).
    private OscoreStatus Decrypt(CoapMessage message, SecurityContext context, ByteRange idPiv, ByteRange piv, ByteRange requestPiv, ByteRange requestKid)
    {
        int tag = context.TagLength;
        int cipherLength = message.PayloadLength - tag;
        // RFC 8613 §5.3: the ciphertext holds at least the Code byte and the tag; anything shorter does not decode.
        if (cipherLength < 1)
        {
            return OscoreStatus.BadOption;
        }

        if (cipherLength > _plainIn.Length)
        {
            return OscoreStatus.MessageTooLarge;
        }

        context.ComputeNonce(idPiv, piv, _nonce);
        int aadLength = BuildAad(context.Algorithm, requestKid, requestPiv);
        byte[] payload = message.PayloadBuffer;
        int po = message.PayloadOffset;
        if (!context.Decrypt(_nonce, new ByteRange(payload, po, cipherLength), payload, po + cipherLength, _plainIn, 0, new ByteRange(_aad, 0, aadLength)))
        {
            return OscoreStatus.DecryptionFailed;
        }

        return ParseInner(cipherLength);
    }

    // The plaintext is Code, then options as in RFC 7252 §3.1, then 0xFF and the payload (RFC 8613 §5.3).
    private OscoreStatus ParseInner(int length)
    {
        _innerCount = 0;
        _innerPayloadOffset = 0;
        _innerPayloadLength = 0;
        int p = 1;
        int number = 0;
        while (p < length)
        {
            int b = _plainIn[p++];
            if (b == 0xFF)
            {
                if (p == length)
                {
                    return OscoreStatus.BadOption;
                }

                _innerPayloadOffset = p;
                _innerPayloadLength = length - p;
                break;
            }

            int delta = b >> 4;
            int len = b & 0x0F;
            if (delta == 15 || len == 15)
            {
                return OscoreStatus.BadOption;
            }

            delta = ReadExtended(ref p, length, delta);
            len = delta < 0 ? -1 : ReadExtended(ref p, length, len);
            if (len < 0 || len > length - p)
            {
                return OscoreStatus.BadOption;
            }

            number += delta;
            // RFC 8613 §4.1: the OSCORE option is class U only; one found inside is malformed.
            if (number == CoapOptionNumber.Oscore || number > 0xFFFF)
            {
                return OscoreStatus.BadOption;
            }

            if (_innerCount == MaxInnerOptions)
            {
                return OscoreStatus.MessageTooLarge;
            }

            _innerNumber[_innerCount] = number;
            _innerOffset[_innerCount] = p;
            _innerLength[_innerCount] = len;
            _innerCount++;
            p += len;
        }

        return OscoreStatus.Ok;
    }

    private int ReadExtended(ref int p, int end, int nibble)
    {
        if (nibble == 13)
        {
            if (p >= end)
            {
                return -1;
            }

            return _plainIn[p++] + 13;
        }

        if (nibble == 14)
        {
            if (end - p < 2)
            {
                return -1;
            }

            int v = (_plainIn[p] << 8) | _plainIn[p + 1];
            p += 2;
            return v + 269;
        }

        return nibble;
    }

    private int FindInner(int number)
    {
        for (int i = 0; i < _innerCount; i++)
        {
            if (_innerNumber[i] == number)
            {
                return i;
            }
        }

        return -1;
    }

    // RFC 8613 §8.2 steps 1 and 7 (§8.4 for responses): discard the Outer Code and class E options, remove the OSCORE
    // option, and add the decrypted Code, options and payload.
    private OscoreStatus Rebuild(CoapMessage message)
    {
        int keep = 0;
        for (int i = 0; i < message.OptionCount; i++)
        {
            int n = message.GetOptionNumber(i);
            if (!OscoreOptionClass.IsClassE(n) && n != CoapOptionNumber.Oscore)
            {
                keep++;
            }
        }

        if (keep + _innerCount > message.OptionCapacity)
        {
            return OscoreStatus.MessageTooLarge;
        }

        int j = 0;
        while (j < message.OptionCount)
        {
            int n = message.GetOptionNumber(j);
            if (OscoreOptionClass.IsClassE(n) || n == CoapOptionNumber.Oscore)
            {
                message.RemoveOption(n);
            }
            else
            {
                j++;
            }
        }

        for (int i = 0; i < _innerCount; i++)
        {
            message.AddOption(_innerNumber[i], _plainIn, _innerOffset[i], _innerLength[i]);
        }

        message.Code = _plainIn[0];
        message.SetPayload(_plainIn, _innerPayloadOffset, _innerPayloadLength);
        return OscoreStatus.Ok;
    }
}
