using System;
using System.Security.Cryptography;

using PopIoT.Core.Crypto;

namespace PopIoT.Crypto;

/// <summary>The operating system's CSPRNG (<see cref="RandomNumberGenerator"/>) as an <see cref="IRandomSource"/>.</summary>
public sealed class PlatformRandomSource : IRandomSource
{
    /// <summary>The shared instance; <see cref="RandomNumberGenerator.Fill"/> is thread-safe.</summary>
    public static PlatformRandomSource Instance { get; } = new();

    /// <inheritdoc/>
    public void GetBytes(byte[] buffer, int offset, int count)
    {
        PlatformArguments.CheckBuffer(buffer, offset, count, nameof(buffer));
        RandomNumberGenerator.Fill(buffer.AsSpan(offset, count));
    }
}
