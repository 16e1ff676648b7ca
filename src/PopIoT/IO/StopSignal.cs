using System.Runtime.InteropServices;

namespace PopIoT.IO;

/// <summary>
/// The stop request of a long-running command: SIGTERM (how systemd and container runtimes stop a service), SIGINT
/// (Ctrl-C, or <c>kill -INT</c>, also for a command a shell started in the background with SIGINT ignored), or the end
/// of an optional duration. The signal is consumed, so the command shuts down itself (requests in flight finish,
/// stores are flushed) and exits 0.
/// </summary>
public sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;

    /// <summary>Arms the signal handlers (and the timer, with a duration).</summary>
    /// <param name="duration">Stop after this long, or null to wait for a signal only.</param>
    public StopSignal(TimeSpan? duration = null)
    {
        _stop = duration is TimeSpan d ? new CancellationTokenSource(d) : new CancellationTokenSource();
        UnixNative.UnignoreInterrupt();
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
    }

    /// <summary>Cancelled when a stop signal arrives or the duration ends.</summary>
    public CancellationToken Stopping => _stop.Token;

    /// <summary>Requests a stop as a signal would.</summary>
    public void Stop() => _stop.Cancel();

    /// <inheritdoc/>
    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
        _stop.Dispose();
    }

    private void Handle(PosixSignalContext context)
    {
        // Cancel the default (immediate termination): the command stops itself and chooses its exit code.
        context.Cancel = true;
        _stop.Cancel();
    }
}
