using System.Diagnostics;
using System.Text;
using Xunit;

namespace PopIoT.Interop.Tests.Peers;

/// <summary>
/// <c>popiot coap serve --psk-file</c> in its own process on 127.0.0.1: CoAP on <see cref="Port"/>, DTLS on
/// <see cref="DtlsPort"/> (the CoAP port + 1, as libcoap's coap-server), the demo resources on both.
/// </summary>
internal sealed class PopiotServe : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _error = new();

    private PopiotServe(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public int DtlsPort => Port + 1;

    public string Error
    {
        get
        {
            lock (_error)
            {
                return _error.ToString();
            }
        }
    }

    public string SecureUri(string path) => "coaps://127.0.0.1:" + DtlsPeers.Text(DtlsPort) + path;

    /// <summary>Writes the PSK file (owner-only, as a secret file must be) into <paramref name="dir"/> and starts the server.</summary>
    /// <param name="dir">A scratch directory.</param>
    /// <param name="psks">The file's JSON entries: identity (text or hex:HEX) and key in hex.</param>
    public static PopiotServe Start(string dir, params (string Identity, string KeyHex)[] psks)
    {
        string file = Path.Combine(dir, "psks-" + Guid.NewGuid().ToString("N")[..8] + ".json");
        PopIoT.IO.SecretFile.WriteText(file, "{" + string.Join(", ", psks.Select(p => System.Text.Json.JsonSerializer.Serialize(p.Identity) + ": \"" + p.KeyHex + "\"")) + "}\n", overwrite: false);
        int port = DtlsPeers.FreePortPair();
        Process p = PopIotProcesses.Start("dotnet", PopIotProcesses.Cli, "coap", "serve", "--bind", "127.0.0.1", "--port", DtlsPeers.Text(port), "--psk-file", file, "--duration", "120");
        var serve = new PopiotServe(p, port);
        p.ErrorDataReceived += (_, e) =>
        {
            lock (serve._error)
            {
                serve._error.AppendLine(e.Data);
            }
        };
        p.BeginErrorReadLine();
        try
        {
            PopIotProcesses.WaitForLine(p.StandardOutput, "with DTLS", TimeSpan.FromSeconds(60));
        }
        catch
        {
            serve.Dispose();
            throw;
        }

        // Drained so that the server never blocks on a full pipe.
        _ = p.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        return serve;
    }

    public void Dispose()
    {
        PopIotProcesses.Stop(_process);
        _process.Dispose();
    }

    /// <summary>Asserts the server is still running (a crash would show here rather than as a peer timeout).</summary>
    public void AssertRunning() => Assert.False(_process.HasExited, "popiot coap serve exited: " + Error);
}
