namespace PopIoT.Core.Coap;

/// <summary>Content-Format identifiers (RFC 7252 §12.3 and the IANA registry) used by PopIoT.</summary>
public static class CoapContentFormat
{
    /// <summary>0: text/plain; charset=utf-8.</summary>
    public const int TextPlain = 0;

    /// <summary>16: application/cose; cose-type="cose-encrypt0" (RFC 9052).</summary>
    public const int CoseEncrypt0 = 16;

    /// <summary>17: application/cose; cose-type="cose-mac0".</summary>
    public const int CoseMac0 = 17;

    /// <summary>18: application/cose; cose-type="cose-sign1".</summary>
    public const int CoseSign1 = 18;

    /// <summary>19: application/ace+cbor (RFC 9200 §8.16).</summary>
    public const int AceCbor = 19;

    /// <summary>40: application/link-format (RFC 6690).</summary>
    public const int LinkFormat = 40;

    /// <summary>41: application/xml.</summary>
    public const int Xml = 41;

    /// <summary>42: application/octet-stream.</summary>
    public const int OctetStream = 42;

    /// <summary>47: application/exi.</summary>
    public const int Exi = 47;

    /// <summary>50: application/json.</summary>
    public const int Json = 50;

    /// <summary>60: application/cbor (RFC 8949).</summary>
    public const int Cbor = 60;

    /// <summary>61: application/cwt (RFC 8392).</summary>
    public const int Cwt = 61;
}
