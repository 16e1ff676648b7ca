using System;

using PopIoT.Core.Crypto;

namespace PopIoT.Core.Tests.Crypto;

/// <summary>A deterministic <see cref="IRandomSource"/> for tests only (never for keys).</summary>
internal sealed class SeededRandomSource : IRandomSource
{
    private readonly Random _random;

    public SeededRandomSource(int seed) => _random = new Random(seed);

    public void GetBytes(byte[] buffer, int offset, int count) => _random.NextBytes(buffer.AsSpan(offset, count));
}
