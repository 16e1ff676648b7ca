namespace PopIoT.Core.Coap;

/// <summary>One row of the option registry: number, name, value format, length bounds and repeatability (RFC 7252 §5.10).</summary>
public sealed class CoapOptionDefinition
{
    /// <summary>Creates a row.</summary>
    /// <param name="number">The option number.</param>
    /// <param name="name">The registered name.</param>
    /// <param name="format">The value format.</param>
    /// <param name="minLength">The shortest allowed value in bytes.</param>
    /// <param name="maxLength">The longest allowed value in bytes.</param>
    /// <param name="repeatable">Whether the option may occur more than once.</param>
    public CoapOptionDefinition(int number, string name, CoapOptionFormat format, int minLength, int maxLength, bool repeatable)
    {
        Number = number;
        Name = name;
        Format = format;
        MinLength = minLength;
        MaxLength = maxLength;
        Repeatable = repeatable;
    }

    /// <summary>The option number.</summary>
    public int Number { get; }

    /// <summary>The registered name, e.g. "Uri-Path".</summary>
    public string Name { get; }

    /// <summary>The value format.</summary>
    public CoapOptionFormat Format { get; }

    /// <summary>The shortest allowed value in bytes.</summary>
    public int MinLength { get; }

    /// <summary>The longest allowed value in bytes.</summary>
    public int MaxLength { get; }

    /// <summary>Whether the option may occur more than once (RFC 7252 §5.4.5).</summary>
    public bool Repeatable { get; }

    /// <summary>True if the option is critical (RFC 7252 §5.4.6: odd numbers).</summary>
    public bool Critical => CoapOption.IsCritical(Number);
}
