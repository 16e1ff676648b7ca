namespace PopIoT.Cli;

/// <summary>The streams a command reads and writes, so tests can run popiot in-process.</summary>
internal sealed record CliContext(Stream Stdin, TextWriter Out, TextWriter Error);
