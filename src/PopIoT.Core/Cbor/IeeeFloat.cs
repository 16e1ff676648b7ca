using System;

namespace PopIoT.Core.Cbor;

/// <summary>
/// Exact conversions between IEEE 754 binary16/binary32 bit patterns and <see cref="double"/>, done on bits
/// because the nano subset has no Math and no Half (RFC 8949 §3.3, Appendix D).
/// </summary>
public static class IeeeFloat
{
    private const long DoubleSignBit = unchecked((long)0x8000000000000000UL);
    private const long DoubleMantissaMask = 0x000FFFFFFFFFFFFFL;

    /// <summary>Widens a binary16 bit pattern to a double; always exact (RFC 8949 Appendix D).</summary>
    /// <param name="bits">The half-precision bits, most significant first.</param>
    /// <returns>The same value as a double (NaN payloads are kept in the top mantissa bits).</returns>
    public static double HalfToDouble(ushort bits)
    {
        long sign = (bits & 0x8000) != 0 ? DoubleSignBit : 0;
        int exp = (bits >> 10) & 0x1F;
        long mant = bits & 0x3FF;
        return Widen(sign, exp, mant, 10, 15);
    }

    /// <summary>Widens a binary32 bit pattern to a double; always exact.</summary>
    /// <param name="bits">The single-precision bits.</param>
    /// <returns>The same value as a double (NaN payloads are kept in the top mantissa bits).</returns>
    public static double SingleToDouble(uint bits)
    {
        long sign = (bits & 0x80000000u) != 0 ? DoubleSignBit : 0;
        int exp = (int)((bits >> 23) & 0xFF);
        long mant = bits & 0x7FFFFF;
        return Widen(sign, exp, mant, 23, 127);
    }

    /// <summary>
    /// Narrows a double to binary16 if that loses nothing (RFC 8949 §4.2.2: "preserves the value").
    /// Every NaN narrows to the canonical quiet NaN 0x7e00, as preferred serialization asks.
    /// </summary>
    /// <param name="value">The value.</param>
    /// <param name="bits">The half-precision bits when this returns true.</param>
    /// <returns>True if <paramref name="value"/> is exactly representable in binary16.</returns>
    public static bool TryGetHalfBits(double value, out ushort bits)
    {
        uint b;
        bool ok = TryNarrow(value, 10, 15, out b, true);
        bits = (ushort)b;
        return ok;
    }

    /// <summary>
    /// Narrows a double to binary32 if that loses nothing. NaN keeps its sign and the top 23 bits of its payload
    /// (quiet bit set if the payload would be lost) when <paramref name="canonicalNaN"/> is false.
    /// </summary>
    /// <param name="value">The value.</param>
    /// <param name="canonicalNaN">True to turn every NaN into 0x7fc00000.</param>
    /// <param name="bits">The single-precision bits when this returns true.</param>
    /// <returns>True if <paramref name="value"/> is exactly representable in binary32.</returns>
    public static bool TryGetSingleBits(double value, bool canonicalNaN, out uint bits)
    {
        return TryNarrow(value, 23, 127, out bits, canonicalNaN);
    }

    private static double Widen(long sign, int exp, long mant, int mantBits, int bias)
    {
        int maxExp = mantBits == 10 ? 0x1F : 0xFF;
        long result;
        if (exp == maxExp)
        {
            // Infinity or NaN: all-ones exponent, mantissa moved to the top of the 52-bit field.
            result = sign | 0x7FF0000000000000L | (mant << (52 - mantBits));
        }
        else if (exp == 0)
        {
            if (mant == 0)
            {
                result = sign;
            }
            else
            {
                // Subnormal: value = mant * 2^(1 - bias - mantBits); normalize so the leading 1 is implicit.
                int e = 1 - bias;
                while ((mant & (1L << mantBits)) == 0)
                {
                    mant <<= 1;
                    e--;
                }

                mant &= (1L << mantBits) - 1;
                result = sign | ((long)(e + 1023) << 52) | (mant << (52 - mantBits));
            }
        }
        else
        {
            result = sign | ((long)(exp - bias + 1023) << 52) | (mant << (52 - mantBits));
        }

        return BitConverter.Int64BitsToDouble(result);
    }

    private static bool TryNarrow(double value, int mantBits, int bias, out uint bits, bool canonicalNaN)
    {
        long d = BitConverter.DoubleToInt64Bits(value);
        uint sign = d < 0 ? 1u << (mantBits + (mantBits == 10 ? 5 : 8)) : 0u;
        int expBits = mantBits == 10 ? 5 : 8;
        uint expAllOnes = (uint)((1 << expBits) - 1) << mantBits;
        int exp = (int)((d >> 52) & 0x7FF);
        long mant = d & DoubleMantissaMask;
        int drop = 52 - mantBits;
        bits = 0;

        if (exp == 0x7FF)
        {
            if (mant == 0)
            {
                bits = sign | expAllOnes;
                return true;
            }

            uint quiet = 1u << (mantBits - 1);
            if (canonicalNaN)
            {
                bits = expAllOnes | quiet;
                return true;
            }

            uint payload = (uint)(mant >> drop);
            if (payload == 0)
            {
                payload = quiet;
            }

            bits = sign | expAllOnes | payload;
            return true;
        }

        if (exp == 0)
        {
            // Double subnormals are far below the smallest binary16/binary32 subnormal: only zero fits.
            if (mant == 0)
            {
                bits = sign;
                return true;
            }

            return false;
        }

        int e = exp - 1023;
        int minNormal = 1 - bias;
        int maxNormal = bias;
        if (e > maxNormal)
        {
            return false;
        }

        if (e >= minNormal)
        {
            if ((mant & ((1L << drop) - 1)) != 0)
            {
                return false;
            }

            bits = sign | ((uint)(e + bias) << mantBits) | (uint)(mant >> drop);
            return true;
        }

        // Narrow subnormal: value = k * 2^(minNormal - mantBits), k = (2^52 + mant) >> shift, exact if no bits drop.
        int shift = 52 - mantBits + (minNormal - e);
        if (shift > 52)
        {
            return false;
        }

        long full = (1L << 52) | mant;
        if ((full & ((1L << shift) - 1)) != 0)
        {
            return false;
        }

        bits = sign | (uint)(full >> shift);
        return true;
    }
}
