using System.Threading.Channels;

namespace PopIoT.AuthorizationServer.Storage;

/// <summary>
/// The group commit of both stores (docs/authorization-server.md, "Storage"): token writes wait in a queue, one writer
/// takes up to <see cref="MaxBatch"/> of them and the store writes them in one transaction, so every token is durable
/// before its 2.01 leaves while concurrent requests share one commit. The store supplies how a batch is written; the
/// commit duration and batch size are recorded on the AS's meter.
/// </summary>
internal sealed class GroupCommit : IDisposable
{
    /// <summary>The most tokens in one transaction.</summary>
    public const int MaxBatch = 256;

    private readonly Channel<TokenWrite> _pending = Channel.CreateUnbounded<TokenWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly string _system;
    private readonly string _owner;
    private readonly Action<List<TokenWrite>, IssuedTokenRecord?[], Exception?[]> _writeBatch;
    private readonly Task _writer;

    /// <summary>Starts the writer.</summary>
    /// <param name="system">The database system for the metrics ("sqlite", "postgresql").</param>
    /// <param name="owner">The store's name, for the exception after disposal.</param>
    /// <param name="writeBatch">Writes a batch in one transaction: each write's record or failure into the arrays at its index; throws when the transaction fails as a whole.</param>
    public GroupCommit(string system, string owner, Action<List<TokenWrite>, IssuedTokenRecord?[], Exception?[]> writeBatch)
    {
        _system = system;
        _owner = owner;
        _writeBatch = writeBatch;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Whether the writer has stopped (after <see cref="Dispose"/>).</summary>
    public bool IsCompleted => _writer.IsCompleted;

    /// <summary>Queues one write; completes after its commit.</summary>
    /// <param name="write">The write.</param>
    /// <param name="cancellationToken">Stops waiting (the write may still be committed).</param>
    /// <returns>The stored record, or null when there was nothing to store.</returns>
    public Task<IssuedTokenRecord?> Enqueue(TokenWrite write, CancellationToken cancellationToken)
    {
        if (!_pending.Writer.TryWrite(write))
        {
            throw new ObjectDisposedException(_owner);
        }

        return write.Done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Lets the queued writes finish (up to 30 s) and stops the writer.</summary>
    public void Dispose()
    {
        _pending.Writer.TryComplete();
        try
        {
            _writer.Wait(TimeSpan.FromSeconds(30));
        }
        catch (AggregateException)
        {
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<TokenWrite>();
        while (await _pending.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _pending.Reader.TryRead(out TokenWrite? item))
            {
                batch.Add(item);
            }

            var results = new IssuedTokenRecord?[batch.Count];
            var failed = new Exception?[batch.Count];
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                _writeBatch(batch, results, failed);
            }
            catch (Exception e)
            {
                AuthorizationServerMetrics.Commit(_system, System.Diagnostics.Stopwatch.GetElapsedTime(start), batch.Count, e.GetType().Name);
                foreach (TokenWrite w in batch)
                {
                    w.Done.TrySetException(new AuthorizationStoreException("storing the token failed: " + e.Message, e));
                }

                continue;
            }

            AuthorizationServerMetrics.Commit(_system, System.Diagnostics.Stopwatch.GetElapsedTime(start), batch.Count, null);
            for (int i = 0; i < batch.Count; i++)
            {
                if (failed[i] is Exception e)
                {
                    batch[i].Done.TrySetException(e);
                }
                else
                {
                    batch[i].Done.TrySetResult(results[i]);
                }
            }
        }
    }
}
