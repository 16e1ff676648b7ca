using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using PopIoT.Logging;

namespace PopIoT.AuthorizationServer.Hosting;

/// <summary>The AS's console log format: one <see cref="ShortLogLine"/> per entry (UTC timestamp, level, short category).</summary>
public sealed class ShortLineConsoleFormatter : ConsoleFormatter
{
    /// <summary>The formatter's name, for <c>AddConsole(o =&gt; o.FormatterName = ...)</c>.</summary>
    public const string FormatterName = "popiot";

    /// <summary>Creates the formatter.</summary>
    public ShortLineConsoleFormatter()
        : base(FormatterName)
    {
    }

    /// <inheritdoc/>
    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        ArgumentNullException.ThrowIfNull(textWriter);
        string message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        textWriter.WriteLine(ShortLogLine.Format(DateTimeOffset.UtcNow, logEntry.LogLevel, logEntry.Category, message, logEntry.Exception));
    }
}
