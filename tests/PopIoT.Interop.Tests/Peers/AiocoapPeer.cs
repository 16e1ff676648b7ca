using System.Diagnostics;
using System.Reflection;

namespace PopIoT.Interop.Tests.Peers;

/// <summary>
/// aiocoap (the Python CoAP library with the reference OSCORE implementation), run from its source tree in the shared
/// peers folder with Debian's /usr/bin/python3 (see that folder's README.md). The folder is
/// <c>$POPIOT_SHARED_PEERS</c> when set, otherwise <c>shared/peers</c> beside the repository or beside one of its
/// parent folders (a git worktree sits one level deeper than the clone). The optional modules aiocoap checks before it
/// enables OSCORE, <c>lakers</c> and <c>ge25519</c>, are our own stand-ins in peers/python that raise if used.
/// </summary>
internal static class AiocoapPeer
{
    public const string SharedPeersVariable = "POPIOT_SHARED_PEERS";

    public const string Python = "/usr/bin/python3";

    /// <summary>Our scripts and stand-in modules.</summary>
    public static string ScriptsDir => Path.Combine(PeerRequirement.PeersDir, "python");

    /// <summary>aiocoap's source tree, or null when it cannot be found.</summary>
    public static string? SourceDir
    {
        get
        {
            string? configured = Environment.GetEnvironmentVariable(SharedPeersVariable);
            if (!string.IsNullOrEmpty(configured))
            {
                return Path.Combine(configured, "aiocoap");
            }

            string root = typeof(AiocoapPeer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;
            for (DirectoryInfo? d = new DirectoryInfo(Path.GetFullPath(root)).Parent; d != null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "shared", "peers", "aiocoap");
                if (Directory.Exists(Path.Combine(candidate, "aiocoap")))
                {
                    return candidate;
                }
            }

            return null;
        }
    }

    /// <summary>Why aiocoap cannot run here, or null when it can (with OSCORE).</summary>
    public static string? Missing()
    {
        if (SourceDir is not string source || !Directory.Exists(Path.Combine(source, "aiocoap")))
        {
            return "aiocoap's source tree was not found in ../shared/peers/aiocoap from the repository (or set " + SharedPeersVariable + ")";
        }

        if (!File.Exists(Python))
        {
            return Python + " is missing (Debian's python3)";
        }

        // RFC 8613 OSCORE in aiocoap needs cbor2, cryptography (with AES-CCM) and filelock.
        (int code, string output, string error) = Run(TimeSpan.FromSeconds(30), "-c", "import aiocoap.defaults as d; print(d.oscore_missing_modules() or 'ok')");
        return code == 0 && output.Trim() == "ok"
            ? null
            : "aiocoap cannot do OSCORE here: " + (output + error).Trim() + " (apt-get install python3-cryptography python3-cbor2 python3-filelock)";
    }

    /// <summary>A python3 process with aiocoap and our stand-ins on PYTHONPATH.</summary>
    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var info = new ProcessStartInfo(Python, ["-u", .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["PYTHONPATH"] = SourceDir + Path.PathSeparator + ScriptsDir;
        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        return info;
    }

    /// <summary>Runs python3 to completion (killed after <paramref name="limit"/>).</summary>
    public static (int Code, string Output, string Error) Run(TimeSpan limit, params string[] args)
    {
        using Process p = Process.Start(StartInfo(args)) ?? throw new InvalidOperationException("cannot start " + Python);
        Task<string> err = p.StandardError.ReadToEndAsync();
        Task<string> output = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(limit))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(5000);
            return (-1, output.Result, "python3 " + string.Join(' ', args) + " did not finish within " + limit.TotalSeconds + " s; " + err.Result);
        }

        return (p.ExitCode, output.Result, err.Result);
    }
}
