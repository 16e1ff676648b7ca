namespace PopIoT.Core.Crypto
{
    /// <summary>
    /// A crypto provider that can make an <see cref="IRekeyableAead"/> AES-CCM. Optional: an engine that finds its
    /// provider implements this shares one cipher across its Security Contexts; otherwise each context keeps its own
    /// keyed ciphers (the platform AES-CCM objects of the desktop cannot change their key).
    /// </summary>
    public interface IRekeyableAeadProvider
    {
        /// <summary>Creates an AES-CCM with no key, room for 128- and 256-bit keys, and a fixed length field.</summary>
        /// <param name="lengthSize">L, the size of the length field in bytes (2 for OSCORE's 13-byte nonces).</param>
        /// <returns>The cipher; load a key with <see cref="IRekeyableAead.SetKey"/> before each use.</returns>
        IRekeyableAead CreateRekeyableAesCcm(int lengthSize);
    }
}
