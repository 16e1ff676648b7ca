using System.Buffers.Binary;
using PopIoT.AuthorizationServer.Storage;

namespace PopIoT.AuthorizationServer.Endpoints;

/// <summary>
/// Makes the cti of tokens without exi unique across every AS process on one database, before and after restarts
/// (RFC 8392 §3.1.7: a unique identifier): 4 bytes of a prefix the store hands out once per process
/// (<see cref="IAuthorizationStore.ReserveCtiPrefix"/>), then a 4-byte counter; a used-up counter takes a new prefix.
/// The length stays 8 bytes, as before. Thread-safe.
/// </summary>
/// <param name="store">The store that hands out prefixes.</param>
public sealed class CtiSource(IAuthorizationStore store)
{
    private readonly object _gate = new();
    private long _prefix;
    private long _next = uint.MaxValue + 1L;

    /// <summary>The next cti.</summary>
    /// <returns>8 bytes: prefix, counter (big-endian).</returns>
    public byte[] Next()
    {
        long prefix;
        long n;
        lock (_gate)
        {
            if (_next > uint.MaxValue)
            {
                // The first token of this process, or 2^32 tokens later: the store's counter never repeats a prefix.
                _prefix = store.ReserveCtiPrefix();
                _next = 0;
            }

            prefix = _prefix;
            n = _next++;
        }

        byte[] cti = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(cti, (uint)prefix);
        BinaryPrimitives.WriteUInt32BigEndian(cti.AsSpan(4), (uint)n);
        return cti;
    }
}
