namespace PopIoT.Core.Coap;

/// <summary>
/// The option registry and the rules computed from an option number: critical, unsafe and NoCacheKey
/// (RFC 7252 §5.4.6), the table of known options with their formats and bounds (RFC 7252 §5.10 Table 4,
/// RFC 7641, RFC 7959, RFC 8613, RFC 9175), and minimal-length unsigned integer values (RFC 7252 §3.2).
/// </summary>
public static class CoapOption
{
    private static readonly CoapOptionDefinition[] Known = new CoapOptionDefinition[]
    {
        new CoapOptionDefinition(CoapOptionNumber.IfMatch, "If-Match", CoapOptionFormat.Opaque, 0, 8, true),
        new CoapOptionDefinition(CoapOptionNumber.UriHost, "Uri-Host", CoapOptionFormat.String, 1, 255, false),
        new CoapOptionDefinition(CoapOptionNumber.ETag, "ETag", CoapOptionFormat.Opaque, 1, 8, true),
        new CoapOptionDefinition(CoapOptionNumber.IfNoneMatch, "If-None-Match", CoapOptionFormat.Empty, 0, 0, false),
        new CoapOptionDefinition(CoapOptionNumber.Observe, "Observe", CoapOptionFormat.Uint, 0, 3, false),
        new CoapOptionDefinition(CoapOptionNumber.UriPort, "Uri-Port", CoapOptionFormat.Uint, 0, 2, false),
        new CoapOptionDefinition(CoapOptionNumber.LocationPath, "Location-Path", CoapOptionFormat.String, 0, 255, true),
        new CoapOptionDefinition(CoapOptionNumber.Oscore, "OSCORE", CoapOptionFormat.Opaque, 0, 255, false),
        new CoapOptionDefinition(CoapOptionNumber.UriPath, "Uri-Path", CoapOptionFormat.String, 0, 255, true),
        new CoapOptionDefinition(CoapOptionNumber.ContentFormat, "Content-Format", CoapOptionFormat.Uint, 0, 2, false),
        new CoapOptionDefinition(CoapOptionNumber.MaxAge, "Max-Age", CoapOptionFormat.Uint, 0, 4, false),
        new CoapOptionDefinition(CoapOptionNumber.UriQuery, "Uri-Query", CoapOptionFormat.String, 0, 255, true),
        new CoapOptionDefinition(CoapOptionNumber.Accept, "Accept", CoapOptionFormat.Uint, 0, 2, false),
        new CoapOptionDefinition(CoapOptionNumber.LocationQuery, "Location-Query", CoapOptionFormat.String, 0, 255, true),
        new CoapOptionDefinition(CoapOptionNumber.Block2, "Block2", CoapOptionFormat.Uint, 0, 3, false),
        new CoapOptionDefinition(CoapOptionNumber.Block1, "Block1", CoapOptionFormat.Uint, 0, 3, false),
        new CoapOptionDefinition(CoapOptionNumber.Size2, "Size2", CoapOptionFormat.Uint, 0, 4, false),
        new CoapOptionDefinition(CoapOptionNumber.ProxyUri, "Proxy-Uri", CoapOptionFormat.String, 1, 1034, false),
        new CoapOptionDefinition(CoapOptionNumber.ProxyScheme, "Proxy-Scheme", CoapOptionFormat.String, 1, 255, false),
        new CoapOptionDefinition(CoapOptionNumber.Size1, "Size1", CoapOptionFormat.Uint, 0, 4, false),
        new CoapOptionDefinition(CoapOptionNumber.Echo, "Echo", CoapOptionFormat.Opaque, 1, 40, false),
        new CoapOptionDefinition(CoapOptionNumber.RequestTag, "Request-Tag", CoapOptionFormat.Opaque, 0, 8, true),
    };

    /// <summary>Critical options must be understood by the recipient (RFC 7252 §5.4.6: odd numbers).</summary>
    /// <param name="number">The option number.</param>
    /// <returns>Whether the option is critical.</returns>
    public static bool IsCritical(int number) => (number & 1) != 0;

    /// <summary>Unsafe-to-forward options must be understood by a proxy (RFC 7252 §5.4.6: bit 1 set).</summary>
    /// <param name="number">The option number.</param>
    /// <returns>Whether the option is unsafe to forward.</returns>
    public static bool IsUnsafe(int number) => (number & 2) != 0;

    /// <summary>
    /// NoCacheKey options are not part of the cache key (RFC 7252 §5.4.6: bits 2..4 equal 0b111,
    /// i.e. (number &amp; 0x1e) == 0x1c); only meaningful for safe-to-forward options.
    /// </summary>
    /// <param name="number">The option number.</param>
    /// <returns>Whether the option is NoCacheKey.</returns>
    public static bool IsNoCacheKey(int number) => (number & 0x1E) == 0x1C;

    /// <summary>How many options the registry knows.</summary>
    public static int KnownCount => Known.Length;

    /// <summary>The registry row at <paramref name="index"/> (0 .. <see cref="KnownCount"/>-1), in ascending number order.</summary>
    /// <param name="index">The row index.</param>
    /// <returns>The row.</returns>
    public static CoapOptionDefinition GetKnown(int index) => Known[index];

    /// <summary>Finds the registry row for <paramref name="number"/>.</summary>
    /// <param name="number">The option number.</param>
    /// <returns>The row, or null for an option PopIoT does not know.</returns>
    public static CoapOptionDefinition Find(int number)
    {
        for (int i = 0; i < Known.Length; i++)
        {
            if (Known[i].Number == number)
            {
                return Known[i];
            }
        }

        return null;
    }

    /// <summary>
    /// Whether a receiver recognizes one occurrence of option <paramref name="number"/>: it is in the registry, its length
    /// is within the registered bounds (RFC 7252 §5.4.3), and it is not a supernumerary occurrence of a non-repeatable
    /// option (RFC 7252 §5.4.5). The OSCORE option (RFC 8613 §2) is recognized only where something processes it.
    /// This is the one rule behind every unrecognized-option check, for plain requests and for the decrypted Inner
    /// options of a verified OSCORE request alike.
    /// </summary>
    /// <param name="number">The option number.</param>
    /// <param name="length">The value length.</param>
    /// <param name="repeated">Whether an option with the same number came just before it.</param>
    /// <param name="processesOscore">Whether the receiver processes the OSCORE option at this point.</param>
    /// <returns>True when recognized.</returns>
    public static bool IsRecognized(int number, int length, bool repeated, bool processesOscore)
    {
        if (number == CoapOptionNumber.Oscore && !processesOscore)
        {
            return false;
        }

        CoapOptionDefinition d = Find(number);
        return d != null && length >= d.MinLength && length <= d.MaxLength && (!repeated || d.Repeatable);
    }

    /// <summary>
    /// Returns the number of the first critical option of <paramref name="message"/> that must be treated as
    /// unrecognized (<see cref="IsRecognized"/>), counting the OSCORE option as recognized, or -1 if there is none.
    /// Elective options of these kinds are ignored (RFC 7252 §5.4.1).
    /// </summary>
    /// <param name="message">A parsed message.</param>
    /// <returns>An option number, or -1.</returns>
    public static int FindUnrecognizedCritical(CoapMessage message) => FindUnrecognizedCritical(message, true);

    /// <summary>
    /// Returns the number of the first critical option of <paramref name="message"/> that must be treated as
    /// unrecognized (<see cref="IsRecognized"/>), or -1 if there is none. Elective options are ignored (RFC 7252 §5.4.1).
    /// </summary>
    /// <param name="message">A parsed message.</param>
    /// <param name="processesOscore">
    /// Whether the caller, or a layer it hands the message to, processes the OSCORE option. False after OSCORE
    /// verification (RFC 8613 §8.2 step 7 removed it) and at the resources, which never process it.
    /// </param>
    /// <returns>An option number, or -1.</returns>
    public static int FindUnrecognizedCritical(CoapMessage message, bool processesOscore)
    {
        int previous = -1;
        int count = message.OptionCount;
        for (int i = 0; i < count; i++)
        {
            int number = message.GetOptionNumber(i);
            bool repeated = number == previous;
            previous = number;
            if (IsCritical(number) && !IsRecognized(number, message.GetOptionLength(i), repeated, processesOscore))
            {
                return number;
            }
        }

        return -1;
    }

    /// <summary>The number of bytes the minimal encoding of <paramref name="value"/> takes: 0 for 0 (RFC 7252 §3.2).</summary>
    /// <param name="value">The value.</param>
    /// <returns>0..4.</returns>
    public static int UintLength(uint value)
    {
        if (value == 0)
        {
            return 0;
        }

        if (value < 0x100)
        {
            return 1;
        }

        if (value < 0x10000)
        {
            return 2;
        }

        return value < 0x1000000 ? 3 : 4;
    }

    /// <summary>Writes <paramref name="value"/> in minimal-length network byte order (RFC 7252 §3.2).</summary>
    /// <param name="value">The value.</param>
    /// <param name="destination">The buffer.</param>
    /// <param name="offset">Where to write.</param>
    /// <returns>The number of bytes written (0..4).</returns>
    public static int WriteUint(uint value, byte[] destination, int offset)
    {
        int n = UintLength(value);
        for (int i = n - 1; i >= 0; i--)
        {
            destination[offset + i] = (byte)value;
            value >>= 8;
        }

        return n;
    }

    /// <summary>
    /// Reads an unsigned option value of 0..4 bytes. Leading zero bytes are accepted, as RFC 7252 §3.2 asks
    /// senders, not receivers, to use the minimal form.
    /// </summary>
    /// <param name="buffer">The buffer.</param>
    /// <param name="offset">The first byte of the value.</param>
    /// <param name="length">The value length.</param>
    /// <param name="value">The value read.</param>
    /// <returns>False if the value is longer than 4 bytes.</returns>
    public static bool TryReadUint(byte[] buffer, int offset, int length, out uint value)
    {
        value = 0;
        if (length > 4)
        {
            return false;
        }

        for (int i = 0; i < length; i++)
        {
            value = (value << 8) | buffer[offset + i];
        }

        return true;
    }
}
