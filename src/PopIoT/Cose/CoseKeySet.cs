using PopIoT.Core.Cbor;
using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;

namespace PopIoT.Cose;

/// <summary>
/// COSE_KeySet (RFC 9052 §7: <c>COSE_KeySet = [+ COSE_Key]</c>), for an RS that needs more than one AS–RS key: a Mac0 RS
/// holds the HMAC key of its tokens and the AEAD key that opens the Encrypted_COSE_Key in their cnf (RFC 8747 §3.3).
/// A single COSE_Key is read as a set of one, so every key file can be read the same way.
/// </summary>
public static class CoseKeySet
{
    /// <summary>Encodes keys as a COSE_KeySet (the private parts included: key files are secret).</summary>
    /// <param name="keys">One or more keys.</param>
    /// <returns>The CBOR array.</returns>
    public static byte[] Encode(IReadOnlyList<CoseKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            throw new ArgumentException("a COSE_KeySet holds at least one key (RFC 9052 §7)", nameof(keys));
        }

        var encoded = new List<byte[]>(keys.Count);
        foreach (CoseKey k in keys)
        {
            encoded.Add(k.Encode());
        }

        byte[] buffer = new byte[16 + encoded.Sum(e => e.Length)];
        var w = new CborWriter(buffer);
        w.WriteStartArray(keys.Count);
        foreach (byte[] e in encoded)
        {
            w.WriteEncodedValue(e, 0, e.Length);
            CryptoBytes.Clear(e);
        }

        byte[] result = buffer.AsSpan(0, w.BytesWritten).ToArray();
        CryptoBytes.Clear(buffer);
        return result;
    }

    /// <summary>Decodes a COSE_KeySet or a single COSE_Key; never throws for bad input.</summary>
    /// <param name="encoded">The bytes.</param>
    /// <param name="keys">The keys (dispose each to erase it), or empty when refused.</param>
    /// <returns>Why it was refused, or <see cref="CoseError.None"/>.</returns>
    public static CoseError Decode(byte[] encoded, out IReadOnlyList<CoseKey> keys)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        keys = [];
        if (encoded.Length == 0 || (encoded[0] >> 5) != (int)CborMajorType.Array)
        {
            CoseError single = CoseKey.Decode(encoded, 0, encoded.Length, out CoseKey one);
            if (single == CoseError.None)
            {
                keys = [one];
            }

            return single;
        }

        var found = new List<CoseKey>();
        try
        {
            var r = new CborReader(encoded);
            int n = r.ReadStartArray();
            for (int i = 0; n < 0 ? r.PeekState() != CborReaderState.EndArray : i < n; i++)
            {
                r.ReadEncodedValue(out int o, out int l);
                CoseError e = CoseKey.Decode(encoded, o, l, out CoseKey key);
                if (e != CoseError.None)
                {
                    DisposeAll(found);
                    return e;
                }

                found.Add(key);
            }

            r.ReadEndArray();
            if (r.PeekState() != CborReaderState.Finished || found.Count == 0)
            {
                DisposeAll(found);
                return CoseError.Malformed;
            }
        }
        catch (CborException)
        {
            DisposeAll(found);
            return CoseError.Malformed;
        }

        keys = found;
        return CoseError.None;
    }

    private static void DisposeAll(List<CoseKey> keys)
    {
        foreach (CoseKey k in keys)
        {
            k.Dispose();
        }

        keys.Clear();
    }
}
