using System.CommandLine;
using System.Globalization;
using System.Net;
using PopIoT.Cli.Coap;
using PopIoT.Coap;
using PopIoT.Core.Oscore;
using PopIoT.Crypto;

namespace PopIoT.Cli.Bench.Suite;

/// <summary>
/// <c>popiot bench oscore-server</c> (hidden; started by the suite): the demo resources served both plain and under
/// OSCORE by one <see cref="CoapServer"/> process, with one security context per load-generator client, so protected
/// and plain GETs are measured on the same server in the same run. The Master Secrets come on standard input, one hex
/// line per client (never on the command line, which other users can read); the contexts live only in memory.
/// </summary>
internal static class OscoreBenchServer
{
    /// <summary>The server's Sender ID in every context; client i sends with Sender ID i + 1 (RFC 8613 §3.3: distinct IDs).</summary>
    public static readonly byte[] ServerId = [0x53];

    public static byte[] ClientId(int i) => [(byte)(i + 1)];

    public static Command Create(CliContext io)
    {
        var port = CliListener.PortOption(0);
        var clients = new Option<int>("--clients") { Description = "Security contexts to read from standard input, one hex Master Secret a line (1..128).", Required = true };
        var duration = new Option<double>("--duration") { Description = "Stop after S seconds (default 1800), so a server left behind ends itself.", DefaultValueFactory = _ => 1800 };
        var cmd = new Command("oscore-server", "The suite's OSCORE server: /time plain and OSCORE-protected, one context per client (Master Secrets on standard input).")
        {
            port, clients, duration,
        };
        cmd.Hidden = true;
        cmd.SetAction(p => Run(io, p.GetValue(port), p.GetValue(clients), p.GetValue(duration)));
        return cmd;
    }

    /// <summary>The security context of client <paramref name="i"/> on the given side.</summary>
    public static SecurityContext Context(byte[] masterSecret, int i, bool server) => server
        ? new SecurityContext(PlatformCryptoProvider.Instance, masterSecret, [], ServerId, ClientId(i), null!)
        : new SecurityContext(PlatformCryptoProvider.Instance, masterSecret, [], ClientId(i), ServerId, null!);

    private static int Run(CliContext io, int port, int clients, double seconds)
    {
        if (clients is < 1 or > 128 || seconds is <= 0 or > 86400 || double.IsNaN(seconds))
        {
            throw new CliUsageException("--clients must be 1..128 and --duration in (0, 86400] seconds");
        }

        using var reader = new StreamReader(io.Stdin);
        var table = new OscoreContextTable(clients);
        var contexts = new List<SecurityContext>();
        try
        {
            for (int i = 0; i < clients; i++)
            {
                string line = reader.ReadLine() ?? throw new CliUsageException("standard input ended after " + i + " of " + clients + " Master Secrets");
                byte[] secret = CliInput.ParseHex(line.Trim(), "Master Secret " + (i + 1));
                if (secret.Length is < 16 or > 64)
                {
                    // A benchmark key is random and full length (RFC 8613 §3.1 recommends 16 bytes or more).
                    Array.Clear(secret);
                    throw new CliUsageException("Master Secret " + (i + 1) + " must be 16 to 64 bytes, not " + secret.Length);
                }

                SecurityContext c = Context(secret, i, server: true);
                Array.Clear(secret);
                contexts.Add(c);
                table.Add(c);
            }

            using var listener = CliListener.Create("127.0.0.1", port, seconds);
            using var server = new CoapServer(new CoapServerOptions { Oscore = table, AllowUnprotected = true });
            CoapDemoResources.Map(server);
            if (listener.TryStart(io, server.Start) is not IPEndPoint at)
            {
                return ExitCodes.BadInput;
            }

            io.Out.WriteLine("popiot bench oscore-server: listening on " + CliListener.CoapAddress(at) + " with " + clients.ToString(CultureInfo.InvariantCulture) + " OSCORE contexts " + listener.Until);
            io.Out.Flush();
            CoapDemoResources.RunTimeTickerAsync(server, TimeSpan.FromSeconds(1), listener.Stopping).GetAwaiter().GetResult();
            return ExitCodes.Ok;
        }
        finally
        {
            // Keys erased when the contexts are dropped (DESIGN.md §5).
            foreach (SecurityContext c in contexts)
            {
                c.Dispose();
            }
        }
    }
}
