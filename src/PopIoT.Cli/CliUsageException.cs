namespace PopIoT.Cli;

/// <summary>
/// Bad input from the person at the terminal: the command prints the message (never a
/// stack trace) and exits with <see cref="ExitCodes.BadInput"/>.
/// </summary>
internal sealed class CliUsageException : Exception
{
    public CliUsageException(string message)
        : base(message)
    {
    }
}
