using System.Text;
using System.Text.Json;
using PopIoT.Core;
using PopIoT.Core.Dtls;

namespace PopIoT.Coap;

/// <summary>
/// A DTLS server's pre-shared keys: identity bytes to key (RFC 4279 §2). Identities are opaque bytes compared whole,
/// zero bytes included; in text (the CLI and PSK files) an identity is UTF-8, or <c>hex:…</c> for any bytes. Keys are
/// erased when the table is disposed.
/// </summary>
public sealed class DtlsPskTable : IDtlsPskStore, IDisposable
{
    /// <summary>The prefix that marks an identity written in hex.</summary>
    public const string HexPrefix = "hex:";

    /// <summary>The longest key accepted: <see cref="DtlsSettings.MaxPskLength"/>'s default.</summary>
    public const int MaxKeyLength = 64;

    private readonly object _gate = new();
    private readonly Dictionary<string, byte[]> _keys = new(StringComparer.Ordinal);

    /// <summary>How many identities the table holds.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _keys.Count;
            }
        }
    }

    /// <summary>
    /// Reads a PSK file's JSON: an object mapping each identity (text, or <c>hex:…</c>) to its key in hex, e.g.
    /// <c>{"client1": "00112233445566778899aabbccddeeff", "hex:61006263": "…"}</c>. Throws <see cref="FormatException"/>
    /// naming the entry at fault.
    /// </summary>
    /// <param name="json">The file's text.</param>
    /// <param name="source">The file name, for messages.</param>
    /// <returns>The table.</returns>
    public static DtlsPskTable Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            throw new FormatException("'" + source + "' is not valid JSON: " + e.Message);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("'" + source + "' must hold a JSON object mapping each PSK identity to its key in hex");
            }

            var table = new DtlsPskTable();
            try
            {
                foreach (JsonProperty entry in doc.RootElement.EnumerateObject())
                {
                    string where = "'" + source + "', identity \"" + entry.Name + "\"";
                    byte[] identity;
                    try
                    {
                        identity = ParseIdentity(entry.Name);
                    }
                    catch (FormatException e)
                    {
                        throw new FormatException(where + ": " + e.Message);
                    }

                    if (entry.Value.ValueKind != JsonValueKind.String)
                    {
                        throw new FormatException(where + ": the key must be a string of hex digits");
                    }

                    byte[] key = ParseKeyHex(entry.Value.GetString()!, where);
                    if (!table.TryAdd(identity, key))
                    {
                        Array.Clear(key);
                        throw new FormatException(where + ": the same identity bytes appear twice (hex " + Convert.ToHexStringLower(identity) + ")");
                    }
                }
            }
            catch
            {
                table.Dispose();
                throw;
            }

            if (table.Count == 0)
            {
                table.Dispose();
                throw new FormatException("'" + source + "' names no PSK identity");
            }

            return table;
        }
    }

    /// <summary>An identity from text: <c>hex:…</c> for bytes in hex, otherwise the text's UTF-8 bytes (RFC 4279 §5.1).</summary>
    /// <param name="text">E.g. "client1" or "hex:61006263".</param>
    /// <returns>The identity bytes (at least one).</returns>
    public static byte[] ParseIdentity(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        byte[] identity;
        if (text.StartsWith(HexPrefix, StringComparison.OrdinalIgnoreCase))
        {
            string hex = text[HexPrefix.Length..];
            try
            {
                identity = Convert.FromHexString(hex);
            }
            catch (FormatException)
            {
                throw new FormatException("'" + text + "' is not hex after 'hex:' (an even number of digits 0-9, a-f)");
            }
        }
        else
        {
            identity = Encoding.UTF8.GetBytes(text);
        }

        if (identity.Length == 0)
        {
            throw new FormatException("a PSK identity must not be empty");
        }

        if (identity.Length > 0xFFFF)
        {
            throw new FormatException("a PSK identity has at most 65535 bytes (RFC 4279 §5.3)");
        }

        return identity;
    }

    /// <summary>Adds an identity and its key (both copied).</summary>
    /// <param name="identity">The identity bytes.</param>
    /// <param name="key">The key.</param>
    /// <returns>False when the identity is already there.</returns>
    public bool TryAdd(ReadOnlySpan<byte> identity, ReadOnlySpan<byte> key)
    {
        if (identity.IsEmpty || key.IsEmpty)
        {
            throw new ArgumentException("Neither the identity nor the key may be empty.");
        }

        lock (_gate)
        {
            return _keys.TryAdd(Convert.ToHexString(identity), key.ToArray());
        }
    }

    /// <inheritdoc/>
    public int FindKey(int peer, ByteRange identity, ByteRange key)
    {
        string name = Convert.ToHexString(identity.Buffer ?? [], identity.Offset, identity.Count);
        lock (_gate)
        {
            if (!_keys.TryGetValue(name, out byte[]? k))
            {
                return 0;
            }

            if (k.Length > key.Count)
            {
                // RFC 4279 §2: the server cannot use the key; internal_error rather than a key cut short.
                return -DtlsAlert.InternalError;
            }

            Array.Copy(k, 0, key.Buffer, key.Offset, k.Length);
            return k.Length;
        }
    }

    /// <summary>Erases every key.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (byte[] k in _keys.Values)
            {
                Array.Clear(k);
            }

            _keys.Clear();
        }
    }

    private static byte[] ParseKeyHex(string hex, string where)
    {
        if (hex.Length == 0)
        {
            throw new FormatException(where + ": the key is empty");
        }

        byte[] key;
        try
        {
            key = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            throw new FormatException(where + ": the key is not hex (an even number of digits 0-9, a-f)");
        }

        if (key.Length > MaxKeyLength)
        {
            Array.Clear(key);
            throw new FormatException(where + ": the key has " + key.Length + " bytes; at most " + MaxKeyLength);
        }

        return key;
    }
}
