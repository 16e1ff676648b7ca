using Microsoft.Extensions.Logging;

namespace PopIoT.Logging;

/// <summary>
/// A logger that writes <see cref="ShortLogLine"/> lines to a text writer (a command's standard error), one at a time,
/// from a minimum level up. For the CLI's <c>-v</c>; the AS host uses the console logger with the same format.
/// </summary>
/// <param name="writer">Where the lines go.</param>
/// <param name="category">The category shown.</param>
/// <param name="minimum">The lowest level written.</param>
/// <param name="time">The clock for the timestamps, or null for the system's.</param>
public sealed class LineLogger(TextWriter writer, string category, LogLevel minimum, TimeProvider? time = null) : ILogger
{
    /// <inheritdoc/>
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    /// <inheritdoc/>
    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    /// <inheritdoc/>
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (!IsEnabled(logLevel))
        {
            return;
        }

        string line = ShortLogLine.Format((time ?? TimeProvider.System).GetUtcNow(), logLevel, category, formatter(state, exception), exception);
        lock (writer)
        {
            writer.WriteLine(line);
            writer.Flush();
        }
    }
}
