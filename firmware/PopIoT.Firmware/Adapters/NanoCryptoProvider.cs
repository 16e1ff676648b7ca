using PopIoT.Core.Crypto;

namespace PopIoT.Firmware;

/// <summary>
/// The crypto provider of a <c>"crypto": "native"</c> board (docs/firmware.md): nanoFramework's native AES-ECB under
/// Core's AES-CCM, the native one-shot HMAC-SHA256 behind Core's incremental interface, Core's SHA-256 (nanoFramework
/// has no native SHA-256 class), and the board's hardware random source.
/// </summary>
internal sealed class NanoCryptoProvider : ICryptoProvider
{
    private readonly IRandomSource _random;
    private readonly IHmacSha256Function _hmac = new NanoHmacSha256Function();
    private readonly int _macCapacity;

    /// <summary>Creates the provider.</summary>
    /// <param name="random">The hardware random source.</param>
    /// <param name="macCapacity">The largest message the native HMAC takes in one piece; longer ones run on Core's.</param>
    public NanoCryptoProvider(IRandomSource random, int macCapacity)
    {
        _random = random;
        _macCapacity = macCapacity;
    }

    /// <inheritdoc/>
    public IRandomSource Random
    {
        get { return _random; }
    }

    /// <inheritdoc/>
    public IBlockCipher CreateAes(byte[] key, int offset, int length)
    {
        return new NanoAesBlockCipher(key, offset, length);
    }

    /// <inheritdoc/>
    public IMac CreateHmacSha256(byte[] key, int offset, int length)
    {
        return new BufferedHmacSha256(_hmac, key, offset, length, _macCapacity);
    }

    /// <inheritdoc/>
    public IHash CreateSha256()
    {
        return new Sha256();
    }

    /// <inheritdoc/>
    public IAeadCipher CreateAesCcm(byte[] key, int offset, int length, int tagSize, int lengthSize)
    {
        return new AesCcm(new NanoAesBlockCipher(key, offset, length), tagSize, lengthSize);
    }
}
