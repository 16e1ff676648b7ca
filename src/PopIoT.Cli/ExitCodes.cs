namespace PopIoT.Cli;

/// <summary>The exit codes of popiot, the same for every command (documented in docs/cli.md).</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>The input was well formed but did not verify or validate (a bad tag, an expired token).</summary>
    public const int Rejected = 1;

    /// <summary>Malformed input or a usage error: the message says what and where.</summary>
    public const int BadInput = 2;

    /// <summary>A bug in popiot: reported in one line, never as a stack trace (set POPIOT_DEBUG=1 to see it).</summary>
    public const int InternalError = 70;
}
