using PopIoT.Core.Cbor;
using PopIoT.Core.Cose;
using PopIoT.Cose;

namespace PopIoT.Cli;

/// <summary>Reads the KEY and ALG arguments shared by the cose, cwt and key commands.</summary>
internal static class CliKeys
{
    /// <summary>Decodes a COSE_Key given as HEX, @FILE or -; a bad key is a usage error.</summary>
    public static CoseKey ParseKey(string argument, Stream stdin, string option = "--key")
    {
        byte[] bytes = CliInput.Resolve(argument, stdin);
        CoseError error = CoseKey.Decode(bytes, 0, bytes.Length, out CoseKey key);
        Array.Clear(bytes);
        if (error != CoseError.None)
        {
            throw new CliUsageException($"{option} is not a usable COSE_Key: {error}: {CoseErrorText.Describe(error)}");
        }

        return key;
    }

    /// <summary>Decodes several COSE_Keys (a repeated option); dispose the set to erase them.</summary>
    public static CliKeySet ParseKeys(string[] arguments, Stream stdin, string option)
    {
        var set = new CliKeySet();
        try
        {
            for (int i = 0; i < arguments.Length; i++)
            {
                string argument = arguments[i];
                // Each argument is a COSE_Key or a COSE_KeySet (RFC 9052 §7), e.g. a mac0 RS key file from `popiot as rs add`.
                byte[] bytes = CliInput.Resolve(argument, stdin);
                CoseError error = CoseKeySet.Decode(bytes, out IReadOnlyList<CoseKey> keys);
                Array.Clear(bytes);
                if (error != CoseError.None)
                {
                    throw new CliUsageException($"{option} is not a usable COSE_Key or COSE_KeySet: {error}: {CoseErrorText.Describe(error)}");
                }

                // A HEX argument is the key itself: it is named by its position, never echoed.
                string source = option + " " + (argument.StartsWith('@') ? argument : "#" + (i + 1));
                for (int k = 0; k < keys.Count; k++)
                {
                    set.Names.Add(keys.Count == 1 ? source : source + " (key " + (k + 1) + " of " + keys.Count + ")");
                }

                set.Keys.AddRange(keys);
            }

            return set;
        }
        catch
        {
            set.Dispose();
            throw;
        }
    }

    /// <summary>
    /// An algorithm by IANA name or number: "HMAC 256/64", "HMAC256/64", "hmac 256/64", "4",
    /// "AES-CCM-16-64-128", "ES256", "EdDSA" ... (spaces and case are ignored).
    /// </summary>
    public static CoseAlgorithm ParseAlgorithm(string text)
    {
        CoseAlgorithm? byExact = CoseAlgorithm.Parse(text.Trim());
        if (byExact != null)
        {
            return byExact;
        }

        string wanted = Normalize(text);
        for (int i = 0; i < CoseAlgorithm.Count; i++)
        {
            CoseAlgorithm a = CoseAlgorithm.At(i);
            if (Normalize(a.Name) == wanted)
            {
                return a;
            }
        }

        var names = Enumerable.Range(0, CoseAlgorithm.Count).Select(i => $"{CoseAlgorithm.At(i).Name} ({CoseAlgorithm.At(i).Id})");
        throw new CliUsageException($"unknown or unsupported algorithm '{text}'; use one of: {string.Join(", ", names)}");
    }

    /// <summary>Re-encodes a COSE_Key with its kid replaced (label 2, RFC 9052 §7.1).</summary>
    public static CoseKey WithKid(CoseKey key, byte[] kid)
    {
        byte[] encoded = key.Encode();
        var reader = new CborReader(encoded, 0, encoded.Length);
        int count = reader.ReadStartMap();
        byte[] output = new byte[encoded.Length + kid.Length + 16];
        var writer = new CborWriter(output, 0, output.Length);
        var kept = new List<(int Offset, int Length, int ValueOffset, int ValueLength)>();
        for (int i = 0; i < count; i++)
        {
            reader.ReadEncodedValue(out int ko, out int kl);
            reader.ReadEncodedValue(out int vo, out int vl);
            bool isKid = kl == 1 && encoded[ko] == CoseKeyLabel.Kid;
            if (!isKid)
            {
                kept.Add((ko, kl, vo, vl));
            }
        }

        writer.WriteStartMap(kept.Count + 1);
        foreach (var (ko, kl, vo, vl) in kept)
        {
            writer.WriteEncodedValue(encoded, ko, kl);
            writer.WriteEncodedValue(encoded, vo, vl);
        }

        writer.WriteInt32(CoseKeyLabel.Kid);
        writer.WriteByteString(kid, 0, kid.Length);
        CoseError error = CoseKey.Decode(output, 0, writer.BytesWritten, out CoseKey result);
        Array.Clear(encoded);
        Array.Clear(output);
        return error == CoseError.None ? result : throw new CliUsageException("cannot set the kid: " + CoseErrorText.Describe(error));
    }

    private static string Normalize(string s) => new string(s.Where(c => !char.IsWhiteSpace(c)).ToArray()).ToUpperInvariant();
}
