using System;
using System.Diagnostics.CodeAnalysis;

using PopIoT.Core;

namespace PopIoT.Crypto;

/// <summary>Argument checks shared by the platform wrappers, with the same messages and rules as the managed Core types.</summary>
internal static class PlatformArguments
{
    public static void CheckRange(byte[]? buffer, int offset, int count, string name)
    {
        if (count < 0)
        {
            throw new ArgumentException($"The length of {name} must not be negative.");
        }

        if (buffer is null)
        {
            if (count == 0 && offset == 0)
            {
                return;
            }

            throw new ArgumentException($"{name} is null but a length of {count} bytes was given.");
        }

        if (offset < 0 || offset > buffer.Length - count)
        {
            throw new ArgumentException($"{name}: {count} bytes at offset {offset} do not fit in an array of {buffer.Length} bytes.");
        }
    }

    public static void CheckBuffer([NotNull] byte[]? buffer, int offset, int count, string name)
    {
        if (buffer is null)
        {
            throw new ArgumentException($"{name} must not be null.");
        }

        CheckRange(buffer, offset, count, name);
    }

    // The output and the tag fit their arrays, and overlap neither the input nor each other (in place is allowed).
    public static void CheckOutput(ByteRange input, byte[]? output, int outputOffset, string outputName, byte[] tag, int tagOffset, int tagSize)
    {
        int length = input.Count;
        CheckRange(output, outputOffset, length, outputName);
        CheckBuffer(tag, tagOffset, tagSize, nameof(tag));
        if (Overlaps(input.Buffer, input.Offset, length, output, outputOffset, length) && input.Offset != outputOffset)
        {
            throw new ArgumentException($"The input and the {outputName} overlap; they must be the same region (in place) or disjoint.");
        }

        if (Overlaps(tag, tagOffset, tagSize, input.Buffer, input.Offset, length) || Overlaps(tag, tagOffset, tagSize, output, outputOffset, length))
        {
            throw new ArgumentException("The tag must not overlap the plaintext or the ciphertext.");
        }
    }

    public static bool Overlaps(byte[]? a, int aOffset, int aCount, byte[]? b, int bOffset, int bCount) =>
        a is not null && ReferenceEquals(a, b) && aCount > 0 && bCount > 0 && aOffset < bOffset + bCount && bOffset < aOffset + aCount;

    // A default (null-reference) empty span makes System.Security.Cryptography.AesCcm on OpenSSL 3
    // fail an empty-plaintext, empty-AAD encryption with "tag not set"; an empty array's span does not.
    public static ReadOnlySpan<byte> Span(byte[]? buffer, int offset, int count) =>
        new(buffer ?? Array.Empty<byte>(), buffer is null ? 0 : offset, count);

    /// <summary>The bytes of a Core range, as <see cref="Span(byte[], int, int)"/> makes them.</summary>
    public static ReadOnlySpan<byte> AsSpan(this ByteRange range) => Span(range.Buffer, range.Offset, range.Count);

    public static Span<byte> WritableSpan(byte[]? buffer, int offset, int count) =>
        new(buffer ?? Array.Empty<byte>(), buffer is null ? 0 : offset, count);

    /// <summary>The platform AEADs' decrypt (System.Security.Cryptography.AesCcm and AesGcm share it).</summary>
    public delegate void SpanDecrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData);

    /// <summary>
    /// Decrypts and releases nothing unless the tag verifies (RFC 3610 §2.5, SP 800-38D §7.2): the platform clears the
    /// output on a mismatch; this makes sure of it and turns the exception into false.
    /// </summary>
    public static bool Open(SpanDecrypt decrypt, ByteRange nonce, ByteRange ciphertext, ReadOnlySpan<byte> tag, Span<byte> output, ByteRange associatedData)
    {
        try
        {
            decrypt(nonce.AsSpan(), ciphertext.AsSpan(), tag, output, associatedData.AsSpan());
            return true;
        }
        catch (System.Security.Cryptography.AuthenticationTagMismatchException)
        {
            output.Clear();
            return false;
        }
    }
}
