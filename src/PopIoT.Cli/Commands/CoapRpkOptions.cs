using System.CommandLine;
using System.Text;
using PopIoT.Core.Cose;
using PopIoT.Dtls;
using PopIoT.IO;

namespace PopIoT.Cli.Commands;

/// <summary>
/// <c>--rpk-key</c> of <c>popiot coap</c>: with <c>--ace</c>, the client's EC2 P-256 key pair for the DTLS profile's RPK
/// mode (RFC 9202 §3.2.1; docs/ace-dtls.md, "The client"), as <c>popiot key new --kty EC2 --out</c> writes it.
/// </summary>
internal static class CoapRpkOptions
{
    private const int MaxKeyFileBytes = 4096;

    public static Option<string?> KeyOption() => new("--rpk-key")
    {
        Description = "With --ace: DTLS in RPK mode (RFC 9202 §3.2.1) with this EC2 P-256 key pair (popiot key new --kty EC2 --out KEY; owner-only): its public key goes to the AS in req_cnf, and the device must present the key the AS names in rs_cnf.",
        HelpName = "KEY",
    };

    /// <summary>Reads the key pair (the caller disposes it), or null without the option.</summary>
    public static CoseKey? Load(string? file, bool ace)
    {
        if (file == null)
        {
            return null;
        }

        if (!ace)
        {
            throw new CliUsageException("--rpk-key applies to --ace (the token binds its public key, RFC 9202 §3.2.1)");
        }

        byte[] content;
        try
        {
            content = SecretFile.ReadOwnerOnly(file, MaxKeyFileBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException("--rpk-key: cannot use '" + file + "': " + e.Message);
        }

        byte[] encoded = HexOrRaw(content);
        try
        {
            CoseError error = CoseKey.Decode(encoded, 0, encoded.Length, out CoseKey key);
            if (error != CoseError.None)
            {
                throw new CliUsageException("--rpk-key '" + file + "' is not a COSE_Key: " + error);
            }

            try
            {
                // Checks the curve and that d matches x and y before anything is sent.
                DtlsRawPublicKey.PrivateKeyFromCoseKey(key);
            }
            catch (FormatException e)
            {
                key.Dispose();
                throw new CliUsageException("--rpk-key '" + file + "': " + e.Message + " (make one with `popiot key new --kty EC2 --out KEY`)");
            }

            return key;
        }
        finally
        {
            Array.Clear(content);
            Array.Clear(encoded);
        }
    }

    // The key file holds the COSE_Key as hex text (what `key new --out` writes) or as raw CBOR.
    private static byte[] HexOrRaw(byte[] content)
    {
        string text = Encoding.ASCII.GetString(content).Trim();
        if (text.Length > 0 && text.Length % 2 == 0 && text.All(Uri.IsHexDigit))
        {
            return Convert.FromHexString(text);
        }

        return (byte[])content.Clone();
    }
}
