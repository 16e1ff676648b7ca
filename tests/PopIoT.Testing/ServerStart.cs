using System.Net.Sockets;
using PopIoT.Coap;

namespace PopIoT.Testing;

/// <summary>
/// Waits for a server started in another process (or task) to answer CoAP. A closed UDP port answers ICMP
/// unreachable at once, so a count of attempts can run out before the process has even started: the wait is
/// bounded by a deadline instead, and ends early when the server's task ends (its error is then the failure).
/// </summary>
public static class ServerStart
{
    /// <summary>How long a server may take to start on a loaded 2-core machine.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>
    /// GETs <paramref name="uri"/> until an answer comes (any code), <paramref name="server"/> ends or the deadline
    /// passes; returns the answer or throws naming the server's output.
    /// </summary>
    public static async Task<CoapResponse> AnswerAsync(Uri uri, Task<CliRunner.Result> server)
    {
        DateTime giveUp = DateTime.UtcNow + Deadline;
        string last = "no answer";
        while (!server.IsCompleted && DateTime.UtcNow < giveUp)
        {
            await using var probe = new CoapClient(new CoapClientOptions { Timeout = TimeSpan.FromMilliseconds(500) });
            try
            {
                return await probe.GetAsync(uri);
            }
            catch (Exception e) when (e is CoapException or CoapTimeoutException or SocketException)
            {
                // Not listening yet; pause so that instant ICMP refusals do not spin.
                last = e.Message;
                await Task.Delay(100);
            }
        }

        string why = server.IsCompleted ? "it exited: " + server.Result.Error + server.Result.Out : "no answer within " + Deadline.TotalSeconds + " s (" + last + ")";
        throw new InvalidOperationException("the server at " + uri + " did not start: " + why);
    }
}
