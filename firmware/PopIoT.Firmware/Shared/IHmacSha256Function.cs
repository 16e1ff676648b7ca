#nullable disable
namespace PopIoT.Firmware;

/// <summary>
/// A one-shot HMAC-SHA256 over a whole array, the shape of nanoFramework's native <c>HMACSHA256.HashData(key,
/// source)</c> (mbedTLS); <see cref="BufferedHmacSha256"/> turns it into Core's incremental <c>IMac</c>.
/// </summary>
public interface IHmacSha256Function
{
    /// <summary>Computes the 32-byte HMAC-SHA256 (RFC 2104) of all of <paramref name="data"/>.</summary>
    /// <param name="key">The key, all of the array.</param>
    /// <param name="data">The data, all of the array.</param>
    /// <returns>A new 32-byte array.</returns>
    byte[] Compute(byte[] key, byte[] data);
}
