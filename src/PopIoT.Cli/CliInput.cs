namespace PopIoT.Cli;

/// <summary>
/// Resolves the byte inputs every popiot command accepts: <c>HEX</c> on the command line,
/// <c>@FILE</c> (raw binary or hex text) or <c>-</c> (standard input, raw binary or hex text).
/// File and stdin contents are read as hex when, ignoring white space, they hold only hex
/// digits in an even number (an optional <c>0x</c> prefix allowed); otherwise they are raw bytes.
/// </summary>
internal static class CliInput
{
    /// <summary>Largest input accepted, so a wrong file name cannot exhaust memory.</summary>
    public const int MaxInputBytes = 16 * 1024 * 1024;

    public static byte[] Resolve(string argument, Stream stdin)
    {
        if (argument == "-")
        {
            return HexOrRaw(ReadBounded(stdin, "standard input"));
        }

        if (argument.StartsWith('@'))
        {
            string path = argument[1..];
            if (path.Length == 0)
            {
                throw new CliUsageException("'@' must be followed by a file name");
            }

            try
            {
                using FileStream file = File.OpenRead(path);
                return HexOrRaw(ReadBounded(file, "file '" + path + "'"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliUsageException("cannot read '" + path + "': " + e.Message);
            }
        }

        return ParseHex(argument, "argument");
    }

    /// <summary>Parses hex text; white space is ignored and a leading 0x is allowed.</summary>
    /// <summary>
    /// An access token: like <see cref="Resolve"/>, and a JSON file (TOKEN.json from <c>token mint</c> or the token
    /// <c>coap --ace</c> keeps) gives its access_token; the key material in it is erased, never printed.
    /// </summary>
    public static byte[] ResolveToken(string argument, Stream stdin)
    {
        byte[] input = Resolve(argument, stdin);
        int first = 0;
        while (first < input.Length && input[first] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            first++;
        }

        if (first == input.Length || input[first] != (byte)'{')
        {
            return input;
        }

        try
        {
            PopIoT.Ace.AccessTokenFile file = PopIoT.Ace.AccessTokenFile.Parse(input, argument.StartsWith('@') ? argument[1..] : "token");
            Array.Clear(file.MasterSecret);
            return file.AccessToken;
        }
        catch (FormatException e)
        {
            throw new CliUsageException(e.Message);
        }
    }

    public static byte[] ParseHex(string text, string what)
    {
        string s = text.Trim();
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            s = s[2..];
        }

        var digits = new List<int>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsWhiteSpace(c))
            {
                continue;
            }

            int v = HexValue(c);
            if (v < 0)
            {
                throw new CliUsageException($"{what} is not hex: unexpected character '{c}' at position {i}");
            }

            digits.Add(v);
        }

        if (digits.Count % 2 != 0)
        {
            throw new CliUsageException($"{what} is not hex: odd number of hex digits ({digits.Count})");
        }

        var bytes = new byte[digits.Count / 2];
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)((digits[2 * i] << 4) | digits[(2 * i) + 1]);
        }

        return bytes;
    }

    private static byte[] HexOrRaw(byte[] content)
    {
        int digits = 0;
        int start = 0;
        if (content.Length >= 2 && content[0] == (byte)'0' && (content[1] == (byte)'x' || content[1] == (byte)'X'))
        {
            start = 2;
        }

        for (int i = start; i < content.Length; i++)
        {
            byte b = content[i];
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                continue;
            }

            if (HexValue((char)b) < 0)
            {
                return content;
            }

            digits++;
        }

        if (digits == 0 || digits % 2 != 0)
        {
            return content;
        }

        return ParseHex(System.Text.Encoding.ASCII.GetString(content), "input");
    }

    private static byte[] ReadBounded(Stream stream, string what)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + n > MaxInputBytes)
            {
                throw new CliUsageException($"{what} is larger than {MaxInputBytes} bytes");
            }

            buffer.Write(chunk, 0, n);
        }

        return buffer.ToArray();
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
