using System.Formats.Cbor;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// Reads issued tokens without PopIoT's COSE or CBOR code: System.Formats.Cbor for the structures (RFC 9052 §5.2, §6.2,
/// §5.3, §6.3), the platform's AES-CCM and HMAC-SHA256, and BouncyCastle's HKDF for the RFC 9202 §3.3 derivation.
/// </summary>
internal static class IndependentCose
{
    /// <summary>The k of an encoded symmetric COSE_Key.</summary>
    public static byte[] SymmetricK(byte[] coseKey) => (byte[])ReadMap(coseKey)[-1];

    /// <summary>A COSE_Key or any CBOR map with integer keys, values as byte[] (byte strings), long, string or the encoded item.</summary>
    public static Dictionary<long, object> ReadMap(byte[] encoded)
    {
        var r = new CborReader(encoded, CborConformanceMode.Strict);
        var map = new Dictionary<long, object>();
        int n = r.ReadStartMap()!.Value;
        for (int i = 0; i < n; i++)
        {
            long k = r.ReadInt64();
            map[k] = r.PeekState() switch
            {
                CborReaderState.ByteString => r.ReadByteString(),
                CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger => r.ReadInt64(),
                CborReaderState.TextString => r.ReadTextString(),
                _ => r.ReadEncodedValue().ToArray(),
            };
        }

        r.ReadEndMap();
        Assert.Equal(0, r.BytesRemaining);
        return map;
    }

    /// <summary>Decrypts a tagged COSE_Encrypt0 token with AES-CCM-16-64-128 (RFC 9053 §4.2) and returns the claims.</summary>
    public static byte[] OpenEncrypt0(byte[] message, byte[] key, bool tagged = true)
    {
        var r = new CborReader(message);
        if (tagged)
        {
            Assert.Equal((CborTag)16, r.ReadTag());
        }

        Assert.Equal(3, r.ReadStartArray());
        byte[] protectedHeader = r.ReadByteString();
        Dictionary<long, object> unprotectedHeader = ReadMap(r.ReadEncodedValue().ToArray());
        byte[] ciphertext = r.ReadByteString();
        r.ReadEndArray();
        Assert.Equal(10L, ReadMap(protectedHeader)[1]); // alg AES-CCM-16-64-128, from the protected header
        byte[] iv = (byte[])unprotectedHeader[5];
        byte[] aad = Structure("Encrypt0", protectedHeader, null);
        byte[] plain = new byte[ciphertext.Length - 8];
        using var ccm = new AesCcm(key);
        ccm.Decrypt(iv, ciphertext.AsSpan(0, plain.Length), ciphertext.AsSpan(plain.Length), plain, aad);
        return plain;
    }

    /// <summary>Checks a tagged COSE_Mac0 with HMAC 256/64 (RFC 9053 §3.1) and returns the claims.</summary>
    public static byte[] VerifyMac0(byte[] message, byte[] key)
    {
        var r = new CborReader(message);
        Assert.Equal((CborTag)17, r.ReadTag());
        Assert.Equal(4, r.ReadStartArray());
        byte[] protectedHeader = r.ReadByteString();
        r.SkipValue();
        byte[] payload = r.ReadByteString();
        byte[] tag = r.ReadByteString();
        Assert.Equal(4L, ReadMap(protectedHeader)[1]);
        byte[] mac = HMACSHA256.HashData(key, Structure("MAC0", protectedHeader, payload));
        Assert.True(CryptographicOperations.FixedTimeEquals(mac.AsSpan(0, 8), tag), "the Mac0 tag does not verify");
        return payload;
    }

    /// <summary>RFC 9202 §3.3: HKDF-SHA256(salt = empty, IKM, info = ["ACE-CoAP-DTLS-key-derivation", L, token], L).</summary>
    public static byte[] DeriveDtlsPsk(byte[] ikm, byte[] token, int length)
    {
        var w = new CborWriter(CborConformanceMode.Canonical);
        w.WriteStartArray(3);
        w.WriteTextString("ACE-CoAP-DTLS-key-derivation");
        w.WriteInt32(length);
        w.WriteByteString(token);
        w.WriteEndArray();
        var hkdf = new HkdfBytesGenerator(new Sha256Digest());
        hkdf.Init(new HkdfParameters(ikm, [], w.Encode()));
        byte[] okm = new byte[length];
        hkdf.GenerateBytes(okm, 0, length);
        return okm;
    }

    // Enc_structure (RFC 9052 §5.3) or MAC_structure (§6.3) with empty external_aad.
    private static byte[] Structure(string context, byte[] protectedHeader, byte[]? payload)
    {
        var w = new CborWriter();
        w.WriteStartArray(payload == null ? 3 : 4);
        w.WriteTextString(context);
        w.WriteByteString(protectedHeader);
        w.WriteByteString([]);
        if (payload != null)
        {
            w.WriteByteString(payload);
        }

        w.WriteEndArray();
        return w.Encode();
    }
}
