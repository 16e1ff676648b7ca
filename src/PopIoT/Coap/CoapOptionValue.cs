using PopIoT.Core.Coap;

namespace PopIoT.Coap;

/// <summary>One CoAP option (RFC 7252 §5.4): its number and raw value bytes.</summary>
/// <param name="Number">The option number (see <see cref="CoapOptionNumber"/>).</param>
/// <param name="Value">The value as sent on the wire.</param>
public readonly record struct CoapOptionValue(int Number, byte[] Value)
{
    /// <summary>The value read as an unsigned integer, or null when longer than 4 bytes.</summary>
    public uint? AsUInt() => CoapOption.TryReadUint(Value, 0, Value.Length, out uint v) ? v : null;

    /// <summary>The value read as UTF-8 text.</summary>
    public string AsString() => System.Text.Encoding.UTF8.GetString(Value);

    /// <summary>The option's name from RFC 7252 §5.10 (and later RFCs), or its number.</summary>
    public string Name => CoapOptionNames.Of(Number);
}
