using System;

using PopIoT.Core.Crypto;

namespace PopIoT.Core.Ace;

/// <summary>
/// What the token intake needs for the coap_dtls profile only (RFC 9202 §3.3), in one object an OSCORE-only RS does
/// not build: the psk_identity parser, the key derivation key the AS shares with this RS, and the derivation of a PSK
/// from a token whose cnf holds only a kid.
/// </summary>
internal sealed class AceDtlsPskSource : IDisposable
{
    // RFC 9202 §3.3: L = 16, the key of TLS_PSK_WITH_AES_128_CCM_8.
    public const int DerivedPskLength = 16;

    private readonly AceDtlsKeyDerivation _derivation;
    private byte[] _derivationKey;

    public AceDtlsPskSource(int maxTokenSize)
    {
        _derivation = new AceDtlsKeyDerivation(maxTokenSize);
        Identity = new AceDtlsIdentity();
    }

    public AceDtlsIdentity Identity { get; }


    public bool HasDerivationKey
    {
        get { return _derivationKey != null; }
    }

    // The key is copied; the previous one is erased.
    public void SetDerivationKey(byte[] key)
    {
        EraseKey();
        _derivationKey = new byte[key.Length];
        Array.Copy(key, _derivationKey, key.Length);
    }

    // RFC 9202 §3.3: OKM = HKDF(empty salt, the key derivation key, ["ACE-CoAP-DTLS-key-derivation", L, token], L).
    public void Derive(ByteRange token, byte[] output)
    {
        _derivation.Derive(ByteRange.Of(_derivationKey), token, output, 0, DerivedPskLength);
    }

    public void Dispose()
    {
        EraseKey();
        _derivation.Dispose();
    }

    private void EraseKey()
    {
        if (_derivationKey != null)
        {
            CryptoBytes.Clear(_derivationKey);
            _derivationKey = null;
        }
    }
}
