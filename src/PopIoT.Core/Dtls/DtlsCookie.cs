using System;

using PopIoT.Core.Crypto;

namespace PopIoT.Core.Dtls;

/// <summary>
/// The stateless cookie of the HelloVerifyRequest exchange (RFC 6347 §4.2.1): HMAC-SHA256 under a secret that changes
/// every rotation period, over the client's address bytes and the ClientHello's fields other than the cookie,
/// truncated to <see cref="Length"/> bytes. The current and the previous secret are accepted, so a cookie lives one
/// to two periods; nothing about the client is stored. The HMAC is the engine's PRF's (keyed per computation and
/// unkeyed after it): the engine never computes a cookie inside an expansion, and two keyed HMAC states of their own
/// would cost a device about 1.5 KB (docs/dtls.md, "Memory").
/// </summary>
internal sealed class DtlsCookie : IDisposable
{
    internal const int Length = 16;

    private readonly IRandomSource _random;
    private readonly int _rotationMs;
    private const int SecretLength = 32;

    private readonly HmacSha256 _hmac;

    // The two secrets: the current at _currentAt, the previous at the other half.
    private readonly byte[] _secrets = new byte[2 * SecretLength];
    private readonly byte[] _mac = new byte[HmacSha256.Size];
    private readonly byte[] _peerBytes = new byte[4];
    private int _currentAt;
    private long _rotateAt = long.MinValue;

    internal DtlsCookie(IRandomSource random, int rotationMs, HmacSha256 hmac)
    {
        _random = random;
        _rotationMs = rotationMs;
        _hmac = hmac;
        _random.GetBytes(_secrets, 0, 2 * SecretLength);
    }

    /// <summary>Writes the cookie for a ClientHello under the current secret.</summary>
    /// <param name="input">The address and the ClientHello parts.</param>
    /// <param name="output">Receives <see cref="Length"/> bytes.</param>
    /// <param name="offset">Where to write.</param>
    /// <param name="now">The current time (the secret rotates when its period is over).</param>
    internal void Write(DtlsCookieInput input, byte[] output, int offset, long now)
    {
        Rotate(now);
        Compute(_currentAt, input);
        Array.Copy(_mac, 0, output, offset, Length);
        Array.Clear(_mac, 0, _mac.Length);
    }

    /// <summary>True when <paramref name="cookie"/> was made for this input under the current or the previous secret.</summary>
    internal bool Verify(DtlsCookieInput input, ByteRange cookie, long now)
    {
        Rotate(now);
        if (cookie.Count != Length)
        {
            return false;
        }

        Compute(_currentAt, input);
        bool ok = CryptoBytes.FixedTimeEquals(_mac, 0, cookie.Buffer, cookie.Offset, Length);
        Compute(SecretLength - _currentAt, input);
        ok |= CryptoBytes.FixedTimeEquals(_mac, 0, cookie.Buffer, cookie.Offset, Length);
        Array.Clear(_mac, 0, _mac.Length);
        return ok;
    }

    public void Dispose()
    {
        Array.Clear(_secrets, 0, _secrets.Length);
    }

    private void Rotate(long now)
    {
        if (_rotateAt == long.MinValue)
        {
            _rotateAt = now + _rotationMs;
            return;
        }

        if (now < _rotateAt)
        {
            return;
        }

        // The older secret is replaced in place and becomes the current one; when a whole period passed, both are.
        bool both = now >= _rotateAt + _rotationMs;
        _currentAt = SecretLength - _currentAt;
        _random.GetBytes(_secrets, _currentAt, SecretLength);
        if (both)
        {
            _random.GetBytes(_secrets, SecretLength - _currentAt, SecretLength);
        }

        _rotateAt = now + _rotationMs;
    }

    private void Compute(int secretAt, DtlsCookieInput input)
    {
        HmacSha256 mac = _hmac;
        mac.SetKey(_secrets, secretAt, SecretLength);
        ByteRange address = input.Address;
        if (address.Count == 0)
        {
            // A host that gives no address bytes: the peer index stands in for them.
            DtlsWire.Write16(_peerBytes, 0, input.Peer >> 16);
            DtlsWire.Write16(_peerBytes, 2, input.Peer);
            mac.Update(_peerBytes, 0, 4);
        }
        else
        {
            mac.Update(address.Buffer, address.Offset, address.Count);
        }

        mac.Update(input.BeforeCookie.Buffer, input.BeforeCookie.Offset, input.BeforeCookie.Count);
        mac.Update(input.AfterCookie.Buffer, input.AfterCookie.Offset, input.AfterCookie.Count);
        mac.Final(_mac, 0);

        // No secret stays in the shared HMAC's keyed state.
        mac.SetKey(_mac, 0, 0);
    }
}
