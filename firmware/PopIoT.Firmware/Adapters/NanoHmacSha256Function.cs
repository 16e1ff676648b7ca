using System.Security.Cryptography;

namespace PopIoT.Firmware;

/// <summary>nanoFramework's native one-shot HMAC-SHA256 (<c>HMACSHA256.HashData</c>, mbedTLS underneath).</summary>
internal sealed class NanoHmacSha256Function : IHmacSha256Function
{
    /// <inheritdoc/>
    public byte[] Compute(byte[] key, byte[] data)
    {
        return HMACSHA256.HashData(key, data);
    }
}
