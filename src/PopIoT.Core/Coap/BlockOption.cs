namespace PopIoT.Core.Coap;

/// <summary>
/// The value of a Block1 or Block2 option (RFC 7959 §2.2): NUM (block number, up to 20 bits), M (more blocks
/// follow) and SZX (block size 2**(SZX+4), 16..1024 bytes; 7 is reserved), packed as NUM &lt;&lt; 4 | M &lt;&lt; 3 | SZX.
/// </summary>
public static class BlockOption
{
    /// <summary>The largest valid SZX (1024-byte blocks).</summary>
    public const int MaxSzx = 6;

    /// <summary>The largest block number that fits 3 bytes (RFC 7959 §2.2).</summary>
    public const int MaxNum = 0xFFFFF;

    /// <summary>Packs a block option value.</summary>
    /// <param name="num">The block number, 0..<see cref="MaxNum"/>.</param>
    /// <param name="more">Whether more blocks follow.</param>
    /// <param name="szx">The size exponent, 0..6.</param>
    /// <returns>The value to put in the option.</returns>
    public static uint Encode(int num, bool more, int szx) => ((uint)num << 4) | (more ? 8u : 0u) | (uint)(szx & 7);

    /// <summary>The block number.</summary>
    /// <param name="value">An option value.</param>
    /// <returns>NUM.</returns>
    public static int Num(uint value) => (int)(value >> 4);

    /// <summary>The More flag.</summary>
    /// <param name="value">An option value.</param>
    /// <returns>M.</returns>
    public static bool More(uint value) => (value & 8) != 0;

    /// <summary>The size exponent.</summary>
    /// <param name="value">An option value.</param>
    /// <returns>SZX (7 is reserved).</returns>
    public static int Szx(uint value) => (int)(value & 7);

    /// <summary>The block size for <paramref name="szx"/>: 2**(SZX+4) (RFC 7959 §2.2).</summary>
    /// <param name="szx">0..6.</param>
    /// <returns>16..1024.</returns>
    public static int Size(int szx) => 1 << (szx + 4);

    /// <summary>Whether a value can be used: SZX 7 is reserved (RFC 7959 §2.2) and NUM must fit 20 bits.</summary>
    /// <param name="value">An option value.</param>
    /// <returns>True if valid.</returns>
    public static bool IsValid(uint value) => (value & 7) != 7 && (value >> 4) <= MaxNum;

    /// <summary>The byte offset of the block in the body: NUM * size.</summary>
    /// <param name="value">An option value.</param>
    /// <returns>The offset.</returns>
    public static long Offset(uint value) => (long)Num(value) << (Szx(value) + 4);
}
