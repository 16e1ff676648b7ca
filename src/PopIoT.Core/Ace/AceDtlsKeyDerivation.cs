using System;

using PopIoT.Core.Cbor;
using PopIoT.Core.Crypto;

namespace PopIoT.Core.Ace;

/// <summary>
/// The PSK of the DTLS profile when the token's cnf carries only a kid (RFC 9202 §3.3, the RFC's example KDF): OKM =
/// HKDF-SHA256(salt = empty, IKM = the key derivation key the AS shares with the RS, info, L) with info the CBOR array
/// ["ACE-CoAP-DTLS-key-derivation", L, access_token] in deterministic encoding (RFC 8949 §4.2). The AS derives the key
/// it gives the client; the RS derives the same key from the token it receives. One instance per thread; after
/// construction <see cref="Derive"/> allocates nothing.
/// </summary>
public sealed class AceDtlsKeyDerivation : IDisposable
{
    /// <summary>The info array's type string (RFC 9202 §3.3).</summary>
    public const string Label = "ACE-CoAP-DTLS-key-derivation";

    // array(3), tstr(28) label, uint L (up to 2 bytes), bstr header (up to 3 bytes).
    private const int InfoOverhead = 1 + 2 + 28 + 3 + 3;

    private readonly Hkdf _hkdf = new Hkdf();
    private readonly byte[] _info;
    private readonly CborWriter _writer;

    /// <summary>Creates the derivation for tokens up to <paramref name="maxTokenLength"/> bytes.</summary>
    /// <param name="maxTokenLength">The longest access token (the RS's token buffer).</param>
    public AceDtlsKeyDerivation(int maxTokenLength)
    {
        if (maxTokenLength <= 0 || maxTokenLength > 65535)
        {
            throw new ArgumentOutOfRangeException("maxTokenLength", "1..65535");
        }

        _info = new byte[InfoOverhead + maxTokenLength];
        _writer = new CborWriter(_info);
    }

    /// <summary>Derives the PSK for one access token.</summary>
    /// <param name="derivationKey">The key derivation key shared by the AS and this RS (IKM; one purpose only).</param>
    /// <param name="accessToken">The access token exactly as the AS sent it (opaque bytes).</param>
    /// <param name="output">Receives the key.</param>
    /// <param name="offset">Where.</param>
    /// <param name="length">L: the key's length in bytes (16 for AES-128-CCM_8, RFC 9202 §3.3).</param>
    public void Derive(ByteRange derivationKey, ByteRange accessToken, byte[] output, int offset, int length)
    {
        if (accessToken.Count > _info.Length - InfoOverhead)
        {
            throw new ArgumentException("the access token is longer than this derivation was built for");
        }

        if (length <= 0 || length > 255)
        {
            throw new ArgumentOutOfRangeException("length", "1..255");
        }

        _writer.Reset();
        _writer.WriteStartArray(3);
        _writer.WriteTextString(Label);
        _writer.WriteUInt32((uint)length);
        _writer.WriteByteString(accessToken.Buffer, accessToken.Offset, accessToken.Count);
        _hkdf.DeriveKey(new ByteRange(_info, 0, 0), derivationKey, new ByteRange(_info, 0, _writer.BytesWritten), output, offset, length);
    }

    /// <summary>Erases the scratch and the HMAC state.</summary>
    public void Dispose()
    {
        CryptoBytes.Clear(_info, 0, _info.Length);
        _hkdf.Dispose();
    }
}
