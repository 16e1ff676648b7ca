using System.Globalization;
using Microsoft.Extensions.Logging;

namespace PopIoT.Logging;

/// <summary>
/// The one log line format of the popiot services (docs/authorization-server.md, Logging): a UTC timestamp with
/// milliseconds, a short level, a short category (the last part of the logger's name) and the message, e.g.
/// <c>2026-12-06T09:40:48.123Z info  as: issued token cti 3ac3… to gw1 for sensor-a</c>. Never key material: that is
/// the callers' rule.
/// </summary>
public static class ShortLogLine
{
    /// <summary>Formats one line (an exception adds its type and message, not its stack).</summary>
    /// <param name="time">When.</param>
    /// <param name="level">The level.</param>
    /// <param name="category">The logger's category name.</param>
    /// <param name="message">The formatted message.</param>
    /// <param name="exception">An exception, or null.</param>
    /// <returns>The line, without a newline.</returns>
    public static string Format(DateTimeOffset time, LogLevel level, string category, string message, Exception? exception)
    {
        ArgumentNullException.ThrowIfNull(category);
        return time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) + " " + Level(level) + " " + ShortCategory(category) + ": " + message
            + (exception != null ? " (" + exception.GetType().Name + ": " + exception.Message + ")" : string.Empty);
    }

    /// <summary>The last dot-separated part of a category name ("PopIoT.Coap.CoapServer" gives "CoapServer").</summary>
    /// <param name="category">The category.</param>
    /// <returns>Its short form.</returns>
    public static string ShortCategory(string category)
    {
        ArgumentNullException.ThrowIfNull(category);
        int dot = category.LastIndexOf('.');
        return dot < 0 ? category : category[(dot + 1)..];
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info ",
        LogLevel.Warning => "warn ",
        LogLevel.Error => "error",
        _ => "crit ",
    };
}
