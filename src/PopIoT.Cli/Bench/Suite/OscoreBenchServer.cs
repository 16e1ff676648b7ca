using System.CommandLine;
using System.Globalization;
using System.Net;
using PopIoT.Cli.Coap;
using PopIoT.Coap;
using PopIoT.Core.Crypto;
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
    /// <summary>The most clients: each has two contexts, one per crypto provider, with one-byte Sender IDs.</summary>
    public const int MaxClients = 100;

    /// <summary>
    /// The server's Sender ID in every context. Client i sends with Sender ID i + 1 on the platform provider's context
    /// and i + 1 + <see cref="MaxClients"/> on the managed one's (RFC 8613 §3.3: IDs distinct, so the keys derived
    /// from the same Master Secret differ too).
    /// </summary>
    public static readonly byte[] ServerId = [0x53];

    private static readonly ICryptoProvider Managed = new ManagedCryptoProvider(PlatformRandomSource.Instance);

    public static byte[] ClientId(int i, bool managed) => [(byte)(i + 1 + (managed ? MaxClients : 0))];

    public static Command Create(CliContext io)
    {
        var port = CliListener.PortOption(0);
        var clients = new Option<int>("--clients") { Description = "Clients whose Master Secrets come on standard input, one hex line each (1..100); each gets a context on the platform and one on the managed crypto provider.", Required = true };
        var duration = new Option<double>("--duration") { Description = "Stop after S seconds (default 1800), so a server left behind ends itself.", DefaultValueFactory = _ => 1800 };
        var cmd = new Command("oscore-server", "The suite's OSCORE server: /time plain and OSCORE-protected, one context per client (Master Secrets on standard input).")
        {
            port, clients, duration,
        };
        cmd.Hidden = true;
        cmd.SetAction(p => Run(io, p.GetValue(port), p.GetValue(clients), p.GetValue(duration)));
        return cmd;
    }

    /// <summary>The security context of client <paramref name="i"/> on the given side, with the platform's or the managed AES-CCM.</summary>
    public static SecurityContext Context(byte[] masterSecret, int i, bool server, bool managed)
    {
        ICryptoProvider provider = managed ? Managed : PlatformCryptoProvider.Instance;
        return server
            ? new SecurityContext(provider, masterSecret, [], ServerId, ClientId(i, managed), null!)
            : new SecurityContext(provider, masterSecret, [], ClientId(i, managed), ServerId, null!);
    }

    private static int Run(CliContext io, int port, int clients, double seconds)
    {
        if (clients is < 1 or > MaxClients || seconds is <= 0 or > 86400 || double.IsNaN(seconds))
        {
            throw new CliUsageException("--clients must be 1.." + MaxClients + " and --duration in (0, 86400] seconds");
        }

        using var reader = new StreamReader(io.Stdin);
        var table = new OscoreContextTable(2 * clients);
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

                foreach (bool managed in new[] { false, true })
                {
                    SecurityContext c = Context(secret, i, server: true, managed);
                    contexts.Add(c);
                    table.Add(c);
                }

                Array.Clear(secret);
            }

            using var listener = CliListener.Create("127.0.0.1", port, seconds);
            using var server = new CoapServer(new CoapServerOptions { Oscore = table, AllowUnprotected = true });
            CoapDemoResources.Map(server);
            if (listener.TryStart(io, server.Start) is not IPEndPoint at)
            {
                return ExitCodes.BadInput;
            }

            io.Out.WriteLine("popiot bench oscore-server: listening on " + CliListener.CoapAddress(at) + " with " + clients.ToString(CultureInfo.InvariantCulture) + " clients' OSCORE contexts " + listener.Until);
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
