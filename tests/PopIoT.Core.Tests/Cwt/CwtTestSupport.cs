using System;

using PopIoT.Core.Cose;
using PopIoT.Core.Cwt;
using PopIoT.Core.Crypto;

using Sfc = System.Formats.Cbor;

namespace PopIoT.Core.Tests.Cwt;

/// <summary>Shared values for the CWT tests (RFC 8392 Appendix A; keys from Cose/CoseTestSupport).</summary>
internal static class CwtTestSupport
{
    public const string Aud = "coap://light.example.com";

    /// <summary>A time between A.1's nbf (1443944944) and exp (1444064944).</summary>
    public const long Between = 1444000000;

    /// <summary>RFC 8747 §3.3's AS–RS key for the Encrypted_COSE_Key example (tests/vectors/ace/rfc8747-cnf-examples.txt header).</summary>
    public static readonly byte[] Rfc8747Kek = Convert.FromHexString("6162630405060708090a0b0c0d0e0f10");

    /// <summary>The HMAC 256/256 key that the RFC 8747 Encrypted_COSE_Key decrypts to.</summary>
    public static readonly byte[] Rfc8747PopKey = Convert.FromHexString("6684523ab17337f173500e5728c628547cb37dfe68449c65f885d1b73b49eae1");

    public static byte[] Encode(Action<Sfc.CborWriter> write)
    {
        var w = new Sfc.CborWriter(Sfc.CborConformanceMode.Lax);
        write(w);
        return w.Encode();
    }

    /// <summary>A validator holding every A.2 key: Mac0 (A.2.2 as HMAC 256/64), Encrypt0 (A.2.1), Sign1 (A.2.3 public).</summary>
    public static CwtValidator AppendixAValidator(ICwtClock clock, ICryptoProvider? provider = null)
    {
        provider ??= Cose.CoseTestSupport.Platform;
        var v = new CwtValidator(provider, clock, Aud);
        v.SetMac0Key(Cose.CoseTestSupport.KeySymmetric256Hmac());
        v.SetEncrypt0Key(Cose.CoseTestSupport.KeySymmetric128());
        if (provider is ISignatureProvider)
        {
            v.SetSign1Key(Cose.CoseTestSupport.KeyEcdsa256Public());
        }

        return v;
    }

    public static CoseKey HmacKey(int alg = 4, byte fill = 7) => CoseKey.Symmetric(Filled(32, fill), alg, [1]);

    public static byte[] Filled(int n, byte b)
    {
        byte[] a = new byte[n];
        Array.Fill(a, b);
        return a;
    }

    /// <summary>A Mac0 validator/issuer pair on one HMAC 256/64 key, audience "rs1".</summary>
    public static (CwtValidator V, CwtIssuer I) Mac0Pair(ICwtClock clock, ICryptoProvider? provider = null)
    {
        provider ??= Cose.CoseTestSupport.Managed;
        var v = new CwtValidator(provider, clock, "rs1");
        v.SetMac0Key(HmacKey());
        return (v, new CwtIssuer(provider, HmacKey()));
    }

    /// <summary>Claims with aud "rs1" and exp 2000, nbf 1000.</summary>
    public static CwtClaimsBuilder Basic()
    {
        var b = new CwtClaimsBuilder();
        b.SetAudience("rs1");
        b.SetExpiration(2000);
        b.SetNotBefore(1000);
        return b;
    }
}
