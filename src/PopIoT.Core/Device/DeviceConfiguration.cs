using PopIoT.Core.Ace;
using PopIoT.Core.Cbor;
using PopIoT.Core.Cose;

namespace PopIoT.Core.Device;

/// <summary>
/// The AS–RS configuration a board's Main loads from its <see cref="DeviceRecords.Configuration"/> record
/// (docs/device.md, "Device configuration"): one CBOR map with integer keys
/// <list type="bullet">
/// <item>1: the RS's audience (tstr), what tokens must name in aud (RFC 9200 §5.10.1.1);</item>
/// <item>2: the AS URI (tstr) sent in AS Request Creation Hints (RFC 9200 §5.3);</item>
/// <item>3: the one COSE type of the tokens (int: 16 Encrypt0, 17 Mac0, 18 Sign1; docs/ace-rs.md, Key purposes);</item>
/// <item>4: the token key (COSE_Key map): the AS–RS MAC key, AEAD key, or the AS public key; its alg is pinned;</item>
/// <item>5 (optional): the AEAD key that only unwraps an Encrypted_COSE_Key in cnf (RFC 8747 §3.3);</item>
/// <item>6 (optional): the key derivation key of the coap_dtls profile (RFC 9202 §3.3: the PSK of a token whose cnf has
/// only a kid), a symmetric COSE_Key whose key_ops is exactly [derive key] (7); ignored by a device that serves
/// OSCORE only.</item>
/// </list>
/// Anything else (an unknown or duplicate key, a wrong type, trailing bytes) refuses the whole record: a device must not
/// run with half a configuration.
/// </summary>
public sealed class DeviceConfiguration
{
    private const int KeyAudience = 1;
    private const int KeyAsUri = 2;
    private const int KeyProtection = 3;
    private const int KeyTokenKey = 4;
    private const int KeyCnfKey = 5;
    private const int KeyDerivationKey = 6;

    private DeviceConfiguration()
    {
    }

    /// <summary>The RS's audience.</summary>
    public string Audience { get; private set; }

    /// <summary>The AS URI for Creation Hints.</summary>
    public string AsUri { get; private set; }

    /// <summary>The COSE type of the tokens (<see cref="CoseTag"/>: 16, 17 or 18).</summary>
    public int Protection { get; private set; }

    /// <summary>The key that verifies or decrypts tokens.</summary>
    public CoseKey TokenKey { get; private set; }

    /// <summary>The key that unwraps an Encrypted_COSE_Key in cnf, or null.</summary>
    public CoseKey CnfKey { get; private set; }

    /// <summary>The coap_dtls key derivation key (RFC 9202 §3.3), or null.</summary>
    public CoseKey DerivationKey { get; private set; }

    /// <summary>Reads a configuration record.</summary>
    /// <param name="buffer">The record.</param>
    /// <param name="offset">Its first byte.</param>
    /// <param name="count">Its length.</param>
    /// <param name="configuration">The configuration, or null unless the result is <see cref="DeviceConfigurationError.None"/>.</param>
    /// <returns>Why it was refused, or <see cref="DeviceConfigurationError.None"/>.</returns>
    public static DeviceConfigurationError Parse(byte[] buffer, int offset, int count, out DeviceConfiguration configuration)
    {
        configuration = null;
        if (buffer == null || offset < 0 || count < 0 || count > buffer.Length - offset)
        {
            return DeviceConfigurationError.Malformed;
        }

        var c = new DeviceConfiguration();
        var r = new CborReader(buffer, offset, count, 8) { ThrowOnError = false };
        int seen = 0;
        r.ReadStartMap();
        while (r.Error == CborError.None && r.HasNext())
        {
            if (r.PeekState() != CborReaderState.UnsignedInteger)
            {
                return DeviceConfigurationError.Malformed;
            }

            int key = r.ReadInt32();
            if (key < KeyAudience || key > KeyDerivationKey || (seen & (1 << key)) != 0)
            {
                return DeviceConfigurationError.Malformed;
            }

            seen |= 1 << key;
            DeviceConfigurationError e = c.ReadEntry(key, r, buffer);
            if (e != DeviceConfigurationError.None)
            {
                return e;
            }
        }

        r.ReadEndMap();
        if (r.Error != CborError.None || r.PeekState() != CborReaderState.Finished)
        {
            return DeviceConfigurationError.Malformed;
        }

        DeviceConfigurationError missing = c.Complete();
        if (missing == DeviceConfigurationError.None)
        {
            configuration = c;
        }

        return missing;
    }

    /// <summary>
    /// Gives the engine its keys, each for its one purpose, and pins the token type (docs/ace-rs.md, Key purposes).
    /// The audience and AS URI go into <see cref="AceRsSettings"/> before the engine is built.
    /// </summary>
    /// <param name="engine">The engine.</param>
    public void Apply(AceResourceServer engine)
    {
        engine.TokenProtection = Protection;
        if (Protection == CoseTag.Mac0)
        {
            engine.SetMac0Key(TokenKey);
        }
        else if (Protection == CoseTag.Encrypt0)
        {
            engine.SetEncrypt0Key(TokenKey);
        }
        else
        {
            engine.SetSign1Key(TokenKey);
        }

        if (CnfKey != null)
        {
            engine.SetCnfDecryptionKey(CnfKey);
        }

        if (DerivationKey != null && engine.ServesDtls)
        {
            engine.SetDtlsKeyDerivationKey(DerivationKey);
        }
    }

    private DeviceConfigurationError ReadEntry(int key, CborReader r, byte[] buffer)
    {
        if (key == KeyAudience || key == KeyAsUri)
        {
            if (r.PeekState() != CborReaderState.TextString)
            {
                return DeviceConfigurationError.Malformed;
            }

            string s = r.ReadTextString();
            if (key == KeyAudience)
            {
                Audience = s;
            }
            else
            {
                AsUri = s;
            }

            return DeviceConfigurationError.None;
        }

        if (key == KeyProtection)
        {
            if (r.PeekState() != CborReaderState.UnsignedInteger)
            {
                return DeviceConfigurationError.InvalidProtection;
            }

            Protection = r.ReadInt32();
            return Protection == CoseTag.Mac0 || Protection == CoseTag.Encrypt0 || Protection == CoseTag.Sign1
                ? DeviceConfigurationError.None : DeviceConfigurationError.InvalidProtection;
        }

        if (r.PeekState() != CborReaderState.StartMap)
        {
            return DeviceConfigurationError.InvalidKey;
        }

        int at;
        int length;
        r.ReadEncodedValue(out at, out length);
        if (r.Error != CborError.None)
        {
            return DeviceConfigurationError.Malformed;
        }

        CoseKey k;
        if (CoseKey.Decode(buffer, at, length, out k) != CoseError.None)
        {
            return DeviceConfigurationError.InvalidKey;
        }

        if (key == KeyTokenKey)
        {
            TokenKey = k;
        }
        else if (key == KeyCnfKey)
        {
            CnfKey = k;
        }
        else if (!IsDerivationKey(k))
        {
            return DeviceConfigurationError.InvalidKey;
        }
        else
        {
            DerivationKey = k;
        }

        return DeviceConfigurationError.None;
    }

    // RFC 9202 §3.3, RFC 9052 §7.1: a symmetric key of 16..64 bytes with key_ops exactly [derive key], so it has no other purpose.
    private static bool IsDerivationKey(CoseKey k)
    {
        if (k.KeyType != CoseKeyType.Symmetric || k.K == null || k.K.Length < 16 || k.K.Length > 64 || !k.HasKeyOperations || !k.Permits(CoseKeyOperation.DeriveKey))
        {
            return false;
        }

        for (int op = 1; op <= 10; op++)
        {
            if (op != CoseKeyOperation.DeriveKey && k.Permits(op))
            {
                return false;
            }
        }

        return true;
    }

    private DeviceConfigurationError Complete()
    {
        if (Audience == null || Audience.Length == 0)
        {
            return DeviceConfigurationError.MissingAudience;
        }

        if (AsUri == null || AsUri.Length == 0)
        {
            return DeviceConfigurationError.MissingAsUri;
        }

        if (Protection == 0)
        {
            return DeviceConfigurationError.InvalidProtection;
        }

        return TokenKey == null ? DeviceConfigurationError.MissingTokenKey : DeviceConfigurationError.None;
    }
}
