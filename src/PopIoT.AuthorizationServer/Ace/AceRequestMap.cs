using System.Globalization;
using PopIoT.Core.Cbor;

namespace PopIoT.AuthorizationServer.Ace;

/// <summary>
/// The CBOR map of an application/ace+cbor request body (RFC 9200 §5.8.1, §5.9.1), checked for shape: one
/// definite-length map with integer keys, no key twice, nothing after it. Values stay encoded; typed getters say
/// what was wrong. Never throws for bad input.
/// </summary>
internal sealed class AceRequestMap
{
    /// <summary>The largest request body accepted.</summary>
    public const int MaxBodyBytes = 2048;

    private const int MaxPairs = 32;
    private readonly byte[] _body;
    private readonly Dictionary<long, (int Offset, int Length)> _values = [];

    private AceRequestMap(byte[] body) => _body = body;

    /// <summary>Parses a body.</summary>
    /// <param name="body">The bytes.</param>
    /// <param name="map">The map.</param>
    /// <param name="error">Why it is not a request map.</param>
    /// <returns>True when well formed.</returns>
    public static bool TryParse(byte[] body, out AceRequestMap? map, out string? error)
    {
        map = null;
        if (body.Length == 0)
        {
            error = "the request has no payload; expected a CBOR map (application/ace+cbor)";
            return false;
        }

        if (body.Length > MaxBodyBytes)
        {
            error = "the request payload is " + body.Length.ToString(CultureInfo.InvariantCulture) + " bytes; at most " + MaxBodyBytes.ToString(CultureInfo.InvariantCulture) + " accepted";
            return false;
        }

        try
        {
            CborReader.Validate(body, 0, body.Length, 8);
            var r = new CborReader(body, 0, body.Length, 8);
            if (r.PeekState() != CborReaderState.StartMap)
            {
                error = "the payload must be a CBOR map, not " + r.PeekState().ToString();
                return false;
            }

            int pairs = r.ReadStartMap();
            if (pairs < 0 || pairs > MaxPairs)
            {
                error = "the payload must be a definite-length map of at most " + MaxPairs.ToString(CultureInfo.InvariantCulture) + " parameters";
                return false;
            }

            var m = new AceRequestMap(body);
            for (int i = 0; i < pairs; i++)
            {
                CborReaderState k = r.PeekState();
                if (k != CborReaderState.UnsignedInteger && k != CborReaderState.NegativeInteger)
                {
                    error = "parameter names must be integers (RFC 9200 §5.8.5), found " + k.ToString();
                    return false;
                }

                long key = r.ReadInt64();
                r.ReadEncodedValue(out int o, out int n);
                if (!m._values.TryAdd(key, (o, n)))
                {
                    error = "parameter " + key.ToString(CultureInfo.InvariantCulture) + " appears twice";
                    return false;
                }
            }

            map = m;
            error = null;
            return true;
        }
        catch (CborException e)
        {
            error = "the payload is not well-formed CBOR (" + e.Message + ")";
            return false;
        }
    }

    /// <summary>The body.</summary>
    public byte[] Body => _body;

    /// <summary>Whether a parameter is present.</summary>
    /// <param name="key">The key.</param>
    /// <returns>True when present.</returns>
    public bool Has(long key) => _values.ContainsKey(key);

    /// <summary>The parameters, by key.</summary>
    public IEnumerable<long> Keys => _values.Keys;

    /// <summary>Where a parameter's encoded value is.</summary>
    /// <param name="key">The key.</param>
    /// <param name="offset">Its offset in <see cref="Body"/>.</param>
    /// <param name="length">Its length.</param>
    /// <returns>False when absent.</returns>
    public bool TryGetEncoded(long key, out int offset, out int length)
    {
        bool found = _values.TryGetValue(key, out var v);
        offset = v.Offset;
        length = v.Length;
        return found;
    }

    /// <summary>The state of a parameter's value.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The CBOR type, or <see cref="CborReaderState.Finished"/> when absent.</returns>
    public CborReaderState TypeOf(long key) =>
        _values.TryGetValue(key, out var v) ? new CborReader(_body, v.Offset, v.Length).PeekState() : CborReaderState.Finished;

    /// <summary>A text-string parameter.</summary>
    /// <param name="key">The key.</param>
    /// <param name="name">Its name for the error.</param>
    /// <param name="value">The text, or null when absent.</param>
    /// <param name="error">Why it is unusable.</param>
    /// <returns>False when present but not a text string.</returns>
    public bool TryGetText(long key, string name, out string? value, out string? error) =>
        TryGet(key, name, CborReaderState.TextString, "a text string", r => r.ReadTextString(), out value, out error);

    /// <summary>A byte-string parameter.</summary>
    /// <param name="key">The key.</param>
    /// <param name="name">Its name for the error.</param>
    /// <param name="value">The bytes, or null when absent.</param>
    /// <param name="error">Why it is unusable.</param>
    /// <returns>False when present but not a byte string.</returns>
    public bool TryGetBytes(long key, string name, out byte[]? value, out string? error) =>
        TryGet(key, name, CborReaderState.ByteString, "a byte string", r => r.ReadByteString(), out value, out error);

    private bool TryGet<T>(long key, string name, CborReaderState type, string typeName, Func<CborReader, T> read, out T? value, out string? error)
        where T : class
    {
        value = null;
        error = null;
        if (!_values.TryGetValue(key, out var v))
        {
            return true;
        }

        var r = new CborReader(_body, v.Offset, v.Length);
        if (r.PeekState() != type)
        {
            error = name + " (" + key.ToString(CultureInfo.InvariantCulture) + ") must be " + typeName;
            return false;
        }

        value = read(r);
        return true;
    }
}
