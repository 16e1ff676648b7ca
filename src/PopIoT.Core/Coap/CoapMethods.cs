namespace PopIoT.Core.Coap;

/// <summary>Bit flags for the methods a resource allows: bit (code - 1) for codes 0.01..0.07.</summary>
public static class CoapMethods
{
    /// <summary>GET.</summary>
    public const int Get = 1 << (CoapCode.Get - 1);

    /// <summary>POST.</summary>
    public const int Post = 1 << (CoapCode.Post - 1);

    /// <summary>PUT.</summary>
    public const int Put = 1 << (CoapCode.Put - 1);

    /// <summary>DELETE.</summary>
    public const int Delete = 1 << (CoapCode.Delete - 1);

    /// <summary>FETCH.</summary>
    public const int Fetch = 1 << (CoapCode.Fetch - 1);

    /// <summary>PATCH.</summary>
    public const int Patch = 1 << (CoapCode.Patch - 1);

    /// <summary>iPATCH.</summary>
    public const int IPatch = 1 << (CoapCode.IPatch - 1);

    /// <summary>Whether <paramref name="methods"/> includes the method <paramref name="code"/>.</summary>
    /// <param name="methods">A set of flags.</param>
    /// <param name="code">A request code.</param>
    /// <returns>True if allowed.</returns>
    public static bool Allows(int methods, byte code) => code >= 1 && code <= 7 && (methods & (1 << (code - 1))) != 0;
}
