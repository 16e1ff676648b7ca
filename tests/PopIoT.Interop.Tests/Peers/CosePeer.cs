using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PopIoT.Interop.Tests.Peers;

/// <summary>
/// cose-js 0.9.0 in a node process (peers/cose-peer.js), spoken to with one JSON object per
/// line. One process serves a whole test class, so hundreds of cases stay fast.
/// </summary>
public sealed class CosePeer : IDisposable
{
    private readonly Process? _process;

    public CosePeer()
    {
        string script = Path.Combine(PeerRequirement.PeersDir, "cose-peer.js");
        string? node = PeerRequirement.FindOnPath("node");
        if (node == null)
        {
            MissingReason = "node is not on PATH";
            return;
        }

        if (!Directory.Exists(Path.Combine(PeerRequirement.PeersDir, "node_modules", "cose-js")))
        {
            MissingReason = "cose-js is not installed (npm ci --prefix tests/PopIoT.Interop.Tests/peers)";
            return;
        }

        var start = new ProcessStartInfo(node, [script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = PeerRequirement.PeersDir,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        JsonObject version = Call(new JsonObject { ["op"] = "version" });
        Version = (string?)version["version"];
    }

    /// <summary>Why the peer cannot run here, or null when it runs.</summary>
    public string? MissingReason { get; }

    /// <summary>The cose-js version the peer loaded.</summary>
    public string? Version { get; }

    /// <summary>Sends one request and waits for its reply line.</summary>
    public JsonObject Call(JsonObject request)
    {
        if (_process == null)
        {
            throw new InvalidOperationException("cose peer not running: " + MissingReason);
        }

        lock (_process)
        {
            _process.StandardInput.WriteLine(request.ToJsonString());
            _process.StandardInput.Flush();
            string? line = _process.StandardOutput.ReadLine();
            if (line == null)
            {
                throw new InvalidOperationException("cose peer exited: " + _process.StandardError.ReadToEnd());
            }

            return JsonNode.Parse(line)?.AsObject() ?? throw new JsonException("empty reply from cose peer");
        }
    }

    public void Dispose()
    {
        if (_process != null)
        {
            try
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(5000))
                {
                    _process.Kill();
                }
            }
            finally
            {
                _process.Dispose();
            }
        }
    }
}
