namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// Every command that writes a secret (docs/cli.md, "Secret files"): the file is owner-only (0600) from its creation,
/// an existing file is refused with exit 2 naming it and left intact, and <c>--force</c> replaces it (owner-only even
/// when the old file was not).
/// </summary>
public sealed class SecretFileCommandTests : TempDirectoryTest
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static TheoryData<string> Commands() => ["key new --out", "as rs add --key-out", "as rs add --credential-out", "as client add --credential-out", "token mint --out"];

    // Runs the command writing the secret to TARGET; each run registers under a fresh name so only the file can clash.
    private CliRunner.Result Write(string command, string target, int run, bool force)
    {
        string db = F("as.db");
        if (!File.Exists(db))
        {
            Assert.Equal(0, CliRunner.Run("as", "init", "--db", db).ExitCode);
        }

        string n = run.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string[] args = command switch
        {
            "key new --out" => ["key", "new", "--kty", "oct", "--out", target],
            "as rs add --key-out" => ["as", "rs", "add", "--db", db, "--audience", "rs" + n, "--key-out", target],
            "as rs add --credential-out" => ["as", "rs", "add", "--db", db, "--audience", "rs" + n, "--key-out", F("rs" + n + ".key"), "--credential-out", target],
            "as client add --credential-out" => ["as", "client", "add", "--db", db, "--client-id", "gw" + n, "--credential-out", target],
            _ => ["token", "mint", "--as-key", AsKey(), "--audience", "coap://rs1", "--scope", "read", "--out", target],
        };
        return CliRunner.Run(force ? [.. args, "--force"] : args);
    }

    private string AsKey()
    {
        string path = F("as-rs.key");
        if (!File.Exists(path))
        {
            Assert.Equal(0, CliRunner.Run("key", "new", "--kty", "oct", "--alg", "AES-CCM-16-64-128", "--out", path).ExitCode);
        }

        return "@" + path;
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void A_secret_file_is_owner_only_never_overwritten_without_force_and_replaced_with_it(string command)
    {
        string target = F("secret.out");
        CliRunner.Result first = Write(command, target, 1, false);
        Assert.True(first.ExitCode == 0, command + ": " + first.Error);
        string original = File.ReadAllText(target);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(target));
        }

        CliRunner.Result again = Write(command, target, 2, false);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("'" + target + "' already exists", again.Error, StringComparison.Ordinal);
        Assert.Contains("--force", again.Error, StringComparison.Ordinal);
        Assert.Equal(original, File.ReadAllText(target));
        // Refused before anything was registered or written: the same run to another file succeeds (the AS refuses
        // a name registered twice).
        CliRunner.Result elsewhere = Write(command, F("elsewhere.out"), 2, false);
        Assert.True(elsewhere.ExitCode == 0, command + " to another file: " + elsewhere.Error);

        if (!OperatingSystem.IsWindows())
        {
            // --force replaces even a file someone made world-readable, and the new one is owner-only again.
            File.SetUnixFileMode(target, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        CliRunner.Result forced = Write(command, target, 3, true);
        Assert.True(forced.ExitCode == 0, command + " --force: " + forced.Error);
        Assert.NotEqual(original, File.ReadAllText(target));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(target));
        }

        Assert.Empty(Directory.GetFiles(Dir, "*.tmp"));
    }
}
