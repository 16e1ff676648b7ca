using System.Diagnostics;
using System.Text;

namespace PopIoT.Interop.Tests.Peers;

/// <summary>
/// A peer program whose standard input and output carry application data as raw bytes: openssl s_client/s_server and
/// gnutls-cli send each read of their stdin as one DTLS record. OpenSSL writes each record it receives to stdout with
/// one write (s_client in pieces of at most 1,024 bytes, its read size); a write of up to PIPE_BUF (4096) bytes to a
/// pipe is atomic (POSIX), so one such write arrives here as one read, and <see cref="ReadRecordAsync"/> returns what one
/// read brought. gnutls-cli writes byte by byte: its records are read with the completeness test of
/// <see cref="ReadCoapAsync(Func{RawCoap, bool}, TimeSpan)"/>.
/// </summary>
internal sealed class StdioPeer : IDisposable
{
    private readonly Process _process;
    private readonly object _gate = new();
    private readonly List<byte> _out = [];
    private readonly List<int> _readEnds = [];
    private readonly StringBuilder _error = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly Task _pump;
    private int _consumed;

    private StdioPeer(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data != null)
            {
                lock (_gate)
                {
                    _error.AppendLine(e.Data);
                }

                _arrived.Release();
            }
        };
        _process.BeginErrorReadLine();
        _pump = Task.Run(PumpAsync);
    }

    public string Name => _process.StartInfo.FileName;

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Error
    {
        get
        {
            lock (_gate)
            {
                return _error.ToString();
            }
        }
    }

    /// <summary>Everything the peer wrote to stdout so far.</summary>
    public byte[] Output
    {
        get
        {
            lock (_gate)
            {
                return [.. _out];
            }
        }
    }

    public string OutputText => Encoding.Latin1.GetString(Output);

    public static StdioPeer Start(string exe, params string[] args)
    {
        var info = new ProcessStartInfo(exe) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        return new StdioPeer(Process.Start(info) ?? throw new InvalidOperationException("cannot start " + exe));
    }

    /// <summary>One write to the peer's stdin, flushed: the peer reads it at once and sends it as one record.</summary>
    public void Write(byte[] data)
    {
        _process.StandardInput.BaseStream.Write(data);
        _process.StandardInput.BaseStream.Flush();
    }

    /// <summary>Waits for the program to end and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan limit)
    {
        using var cts = new CancellationTokenSource(limit);
        await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <summary>Closes the peer's stdin (end of input).</summary>
    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>Waits until stdout or stderr contains <paramref name="marker"/>; later reads start after it when it is in stdout.</summary>
    public async Task WaitForTextAsync(string marker, TimeSpan limit)
    {
        using var cts = new CancellationTokenSource(limit);
        while (true)
        {
            lock (_gate)
            {
                int at = Encoding.Latin1.GetString([.. _out]).IndexOf(marker, _consumed, StringComparison.Ordinal);
                if (at >= 0)
                {
                    _consumed = at + marker.Length;
                    return;
                }

                if (_error.ToString().Contains(marker, StringComparison.Ordinal))
                {
                    return;
                }
            }

            await Wait(cts, "'" + marker + "'", limit).ConfigureAwait(false);
        }
    }

    /// <summary>The bytes of the next read of stdout (one record's data, see the class remarks).</summary>
    public async Task<byte[]> ReadRecordAsync(TimeSpan limit)
    {
        using var cts = new CancellationTokenSource(limit);
        while (true)
        {
            lock (_gate)
            {
                foreach (int end in _readEnds)
                {
                    if (end > _consumed)
                    {
                        byte[] record = _out.GetRange(_consumed, end - _consumed).ToArray();
                        _consumed = end;
                        return record;
                    }
                }
            }

            await Wait(cts, "a record", limit).ConfigureAwait(false);
        }
    }

    /// <summary>The next record that parses as a CoAP message.</summary>
    public async Task<RawCoap> ReadCoapAsync(TimeSpan limit)
    {
        byte[] record = await ReadRecordAsync(limit).ConfigureAwait(false);
        return RawCoap.TryParse(record) ?? throw new InvalidOperationException(Name + " printed bytes that are not one CoAP message: " + Convert.ToHexString(record));
    }

    /// <summary>
    /// For a peer that writes what it receives in pieces (gnutls-cli writes byte by byte): the bytes after those already
    /// read, once they parse as a CoAP message that <paramref name="complete"/> accepts as whole. CoAP over UDP has no
    /// length field (the datagram is the message, RFC 7252 §3), so the caller says what a whole answer looks like.
    /// </summary>
    public async Task<RawCoap> ReadCoapAsync(Func<RawCoap, bool> complete, TimeSpan limit)
    {
        using var cts = new CancellationTokenSource(limit);
        while (true)
        {
            lock (_gate)
            {
                byte[] pending = _out.GetRange(_consumed, _out.Count - _consumed).ToArray();
                if (RawCoap.TryParse(pending) is RawCoap m && complete(m))
                {
                    _consumed = _out.Count;
                    return m;
                }
            }

            await Wait(cts, "whole CoAP message", limit).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _pump.Wait(TimeSpan.FromSeconds(5));
        _process.Dispose();
        _arrived.Dispose();
    }

    private async Task Wait(CancellationTokenSource cts, string what, TimeSpan limit)
    {
        try
        {
            await _arrived.WaitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException(Name + ": no " + what + " within " + limit.TotalSeconds + " s" + (HasExited ? " (it exited with " + _process.ExitCode + ")" : string.Empty)
                + "; stdout: " + Convert.ToHexString(Output) + "; stderr: " + Error);
        }
    }

    private async Task PumpAsync()
    {
        byte[] buffer = new byte[65536];
        Stream stdout = _process.StandardOutput.BaseStream;
        while (true)
        {
            int n;
            try
            {
                n = await stdout.ReadAsync(buffer).ConfigureAwait(false);
            }
            catch (IOException)
            {
                n = 0;
            }

            if (n == 0)
            {
                _arrived.Release();
                return;
            }

            lock (_gate)
            {
                _out.AddRange(buffer.AsSpan(0, n));
                _readEnds.Add(_out.Count);
            }

            _arrived.Release();
        }
    }
}
