using System.Diagnostics;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Cbor;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;

namespace PopIoT.Cli.Bench.Suite;

/// <summary>
/// A burst of token requests (RFC 9200 §5.8) from many registered clients at once, each with its own OSCORE context
/// (RFC 9203 §5) and its own CoapClient, against one AS or several (each client talks to the AS it was given): the
/// clients share one request counter, so the burst stops after exactly <c>total</c> answered requests or errors. Every
/// outcome is kept: the token and the id of its OSCORE_Input_Material for a 2.01, the reason for anything else. Used by
/// the fleet benchmark (tokens per second) and the fleet process tests (nothing lost, nothing reused).
/// </summary>
internal sealed class TokenBurst
{
    private readonly Target[] _targets;
    private readonly int _total;
    private readonly TimeSpan _timeout;
    private readonly List<Outcome>[] _outcomes;
    private readonly Stopwatch _clock = new();
    private readonly int[] _answered;
    private int _next;
    private int _completed;
    private int _finishing;

    /// <summary>Prepares the burst.</summary>
    /// <param name="targets">One entry per client: its context, the AS it asks and the body of its requests.</param>
    /// <param name="total">How many requests in all.</param>
    /// <param name="timeout">Per request; a timeout is an error.</param>
    public TokenBurst(IReadOnlyList<Target> targets, int total, TimeSpan timeout)
    {
        _targets = [.. targets];
        _total = total;
        _timeout = timeout;
        _outcomes = _targets.Select(_ => new List<Outcome>()).ToArray();
        _answered = new int[_targets.Length == 0 ? 0 : _targets.Max(t => t.Instance) + 1];
    }

    /// <summary>Requests answered (or failed) so far.</summary>
    public int Completed => Volatile.Read(ref _completed);

    /// <summary>Requests answered with a token by one instance so far (safe to read while the burst runs).</summary>
    /// <param name="instance">The instance's number, as in <see cref="Target"/>.</param>
    /// <returns>The count.</returns>
    public int AnsweredBy(int instance) => Volatile.Read(ref _answered[instance]);

    /// <summary>Every outcome, by client (in each client's order); read it after the burst.</summary>
    public IReadOnlyList<Outcome> Outcomes => _outcomes.SelectMany(o => o).ToList();

    /// <summary>The time since the burst started, on the clock of every outcome's Sent and Answered.</summary>
    public TimeSpan Now => _clock.Elapsed;

    /// <summary>How long the burst took.</summary>
    public TimeSpan Elapsed { get; private set; }

    /// <summary>
    /// Ends the burst early: each client finishes the request it has in flight and sends no more, so every request
    /// sent still gets its outcome (a test that waits for a condition, not for a count, ends the burst with it).
    /// </summary>
    public void Finish() => Volatile.Write(ref _finishing, 1);

    /// <summary>Runs the burst; returns when all <c>total</c> requests (or all sent before <see cref="Finish"/>) have an outcome.</summary>
    /// <param name="errorBackoff">How long a client waits after an error before its next request (an AS that is down
    /// answers at once with an ICMP error; the wait keeps such a client from spinning).</param>
    /// <param name="cancellationToken">Stops the burst.</param>
    public async Task RunAsync(TimeSpan errorBackoff, CancellationToken cancellationToken = default)
    {
        _clock.Start();
        await Task.WhenAll(_targets.Select((t, i) => Task.Run(() => ClientAsync(i, t, errorBackoff, cancellationToken), cancellationToken))).ConfigureAwait(false);
        Elapsed = _clock.Elapsed;
    }

    private async Task ClientAsync(int index, Target target, TimeSpan errorBackoff, CancellationToken cancellationToken)
    {
        List<Outcome> mine = _outcomes[index];
        await using var client = new CoapClient(new CoapClientOptions { Oscore = target.Context, Timeout = _timeout });
        while (Volatile.Read(ref _finishing) == 0 && Interlocked.Increment(ref _next) <= _total && !cancellationToken.IsCancellationRequested)
        {
            TimeSpan sent = _clock.Elapsed;
            Outcome o;
            try
            {
                CoapResponse r = await client.SendAsync(new CoapRequest(CoapCode.Post, new Uri(target.As, "/token")) { Payload = target.Body, ContentFormat = CoapContentFormat.AceCbor }, cancellationToken).ConfigureAwait(false);
                o = r.Code == CoapCode.Created && TryReadAccessInformation(r.Payload.ToArray(), out byte[]? token, out byte[]? id)
                    ? new Outcome(index, target.Instance, sent, _clock.Elapsed, token, id, null)
                    : new Outcome(index, target.Instance, sent, _clock.Elapsed, null, null, r.CodeText + " " + r.PayloadText);
            }
            catch (Exception e) when (e is CoapException or TimeoutException or System.Net.Sockets.SocketException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                o = new Outcome(index, target.Instance, sent, _clock.Elapsed, null, null, e.GetType().Name + ": " + e.Message);
            }

            mine.Add(o);
            if (o.Error == null)
            {
                Interlocked.Increment(ref _answered[target.Instance]);
            }

            Interlocked.Increment(ref _completed);
            if (o.Error != null && errorBackoff > TimeSpan.Zero)
            {
                await Task.Delay(errorBackoff, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    // RFC 9200 §5.8.2: access_token (1); RFC 9203 §3.2: cnf (8) { osc (4): { id (0) } }, absent for an update of rights.
    private static bool TryReadAccessInformation(byte[] body, out byte[]? token, out byte[]? id)
    {
        token = null;
        id = null;
        try
        {
            return TryRead(body, ref token, ref id);
        }
        catch (CborException)
        {
            return false;
        }
    }

    private static bool TryRead(byte[] body, ref byte[]? token, ref byte[]? id)
    {
        var r = new CborReader(body);
        int n = r.ReadStartMap();
        for (int i = 0; i < n && r.Error == CborError.None; i++)
        {
            long key = r.ReadInt64();
            if (key == AceParameters.AccessToken)
            {
                token = r.ReadByteString();
            }
            else if (key == AceParameters.Cnf && r.PeekState() == CborReaderState.StartMap && r.ReadStartMap() == 1 && r.ReadInt64() == 4)
            {
                int m = r.ReadStartMap();
                for (int j = 0; j < m; j++)
                {
                    if (r.ReadInt64() == 0)
                    {
                        id = r.ReadByteString();
                    }
                    else
                    {
                        r.SkipValue();
                    }
                }

                r.ReadEndMap();
                r.ReadEndMap();
            }
            else
            {
                r.SkipValue();
            }
        }

        r.ReadEndMap();
        return token != null && r.Error == CborError.None;
    }

    /// <summary>One client of the burst.</summary>
    /// <param name="Context">Its OSCORE context with the AS (from its credential file).</param>
    /// <param name="As">The AS it asks, e.g. coap://127.0.0.1:5690.</param>
    /// <param name="Body">Its token request (application/ace+cbor).</param>
    /// <param name="Instance">Which AS instance that is, for the report.</param>
    internal sealed record Target(SecurityContext Context, Uri As, byte[] Body, int Instance);

    /// <summary>One request's outcome.</summary>
    /// <param name="Client">The client's index.</param>
    /// <param name="Instance">The AS instance it asked.</param>
    /// <param name="Sent">When it was sent, from the burst's start.</param>
    /// <param name="Answered">When it was answered or failed.</param>
    /// <param name="Token">The access token of a 2.01.</param>
    /// <param name="InputMaterialId">The id of the OSCORE_Input_Material of a 2.01.</param>
    /// <param name="Error">What went wrong, or null for a 2.01.</param>
    internal sealed record Outcome(int Client, int Instance, TimeSpan Sent, TimeSpan Answered, byte[]? Token, byte[]? InputMaterialId, string? Error);
}
