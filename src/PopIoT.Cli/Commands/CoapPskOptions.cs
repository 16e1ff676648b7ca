using System.CommandLine;
using System.Text;
using PopIoT.Coap;
using PopIoT.Core.Dtls;
using PopIoT.IO;

namespace PopIoT.Cli.Commands;

/// <summary>
/// The pre-shared key options of <c>popiot coap</c> for coaps:// (docs/dtls.md): <c>--psk-identity</c> and <c>--psk</c>
/// for the client, as libcoap's coap-client <c>-u</c> and <c>-k</c>, and <c>--psk-file</c> for the server.
/// </summary>
internal static class CoapPskOptions
{
    private const int MaxKeyFileBytes = 4096;

    public static Option<string?> IdentityOption() => new("--psk-identity", "-u")
    {
        Description = "For coaps://: the DTLS PSK identity, as text (UTF-8) or hex:HEX for any bytes (as coap-client -u).",
        HelpName = "ID",
    };

    public static Option<string?> KeyOption() => new("--psk", "-k")
    {
        Description = "For coaps://: the pre-shared key in hex, or @FILE for a file holding it in hex (owner-only, as every secret file).",
        HelpName = "HEX|@FILE",
    };

    public static Option<string?> FileOption() => new("--psk-file")
    {
        Description = "Also serve coaps:// (DTLS 1.2 PSK, AES-128-CCM-8) on the CoAP port + 1 (5684 by default), with the keys in this JSON object: identity (text or hex:HEX) -> key in hex. Owner-only.",
        HelpName = "PSKS.json",
    };

    /// <summary>Checks the client options against the URI and returns the identity and key (the caller erases the key).</summary>
    public static (byte[]? Identity, byte[]? Key) ParseClient(Uri target, string? identity, string? key)
    {
        bool secure = CoapUri.IsSecure(target);
        if (identity == null && key == null)
        {
            return secure ? throw new CliUsageException("'" + target + "': coaps:// needs --psk-identity and --psk") : (null, null);
        }

        if (identity == null || key == null)
        {
            throw new CliUsageException("--psk-identity and --psk go together");
        }

        if (!secure)
        {
            throw new CliUsageException("--psk-identity and --psk apply to coaps:// URIs");
        }

        byte[] id;
        try
        {
            id = DtlsPskTable.ParseIdentity(identity);
        }
        catch (FormatException e)
        {
            throw new CliUsageException("--psk-identity: " + e.Message);
        }

        return (id, ParseKey(key));
    }

    /// <summary>
    /// The client's DTLS settings: the handshake gives up a little before --timeout, so a failed handshake is reported
    /// as such rather than as a request without an answer.
    /// </summary>
    public static DtlsSettings Settings(double timeoutSeconds)
    {
        DtlsSettings settings = DtlsCoapTransportOptions.ForClient();
        settings.HandshakeTimeoutMs = (int)Math.Clamp(timeoutSeconds * 900, settings.InitialRetransmitMs, settings.HandshakeTimeoutMs);
        return settings;
    }

    /// <summary>Reads --psk-file.</summary>
    public static DtlsPskTable LoadTable(string file)
    {
        byte[] bytes = ReadSecret(file, 1 << 20);
        try
        {
            return DtlsPskTable.Parse(Encoding.UTF8.GetString(bytes), file);
        }
        catch (FormatException e)
        {
            throw new CliUsageException("--psk-file: " + e.Message);
        }
        finally
        {
            Array.Clear(bytes);
        }
    }

    private static byte[] ParseKey(string key)
    {
        string what = "--psk";
        string hex = key;
        byte[]? raw = null;
        if (key.StartsWith('@'))
        {
            what = "--psk " + key;
            raw = ReadSecret(key[1..], MaxKeyFileBytes);
            hex = Encoding.ASCII.GetString(raw).Trim();
        }

        try
        {
            byte[] k = Convert.FromHexString(hex);
            if (k.Length is 0 or > DtlsPskTable.MaxKeyLength)
            {
                Array.Clear(k);
                throw new CliUsageException(what + ": the key must have 1 to " + DtlsPskTable.MaxKeyLength + " bytes");
            }

            return k;
        }
        catch (FormatException)
        {
            throw new CliUsageException(what + ": the key must be hex (an even number of digits 0-9, a-f)");
        }
        finally
        {
            if (raw != null)
            {
                Array.Clear(raw);
            }
        }
    }

    private static byte[] ReadSecret(string file, int maxBytes)
    {
        try
        {
            return SecretFile.ReadOwnerOnly(file, maxBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException("cannot use '" + file + "': " + e.Message);
        }
    }
}
