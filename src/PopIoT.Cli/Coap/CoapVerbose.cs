using System.CommandLine;
using System.Globalization;

namespace PopIoT.Cli.Coap;

/// <summary>
/// <c>-v</c> of <c>popiot coap get|put|post|delete</c>: every datagram sent and received, retransmissions marked, one
/// line each on stderr in libcoap's notation (coap-client -v), so a wait is never silent (docs/coap.md).
/// </summary>
internal static class CoapVerbose
{
    public static Option<bool> Option() => new("--verbose", "-v")
    {
        Description = "Show each datagram sent and received on stderr, retransmissions included (as coap-client -v).",
    };

    /// <summary>The trace callback for CoapClientOptions.Trace, or null when -v was not given.</summary>
    public static Action<string>? Trace(CliContext io, bool verbose)
    {
        if (!verbose)
        {
            return null;
        }

        var gate = new object();
        return line =>
        {
            lock (gate)
            {
                io.Error.WriteLine("popiot: " + DateTime.UtcNow.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture) + " " + line);
                io.Error.Flush();
            }
        };
    }
}
