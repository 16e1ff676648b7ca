using System.CommandLine;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using PopIoT.Cli.Coap;
using PopIoT.Coap;
using PopIoT.Core.Oscore;
using PopIoT.Oscore;

namespace PopIoT.Cli.Commands;

/// <summary><c>popiot coap serve</c>: the demo server (docs/coap.md).</summary>
internal static partial class CoapCommand
{
    private static Command Serve(CliContext io)
    {
        var bind = CliListener.BindOption();
        var port = CliListener.PortOption(CoapUri.DefaultPort);
        var duration = CliListener.DurationOption();
        var oscore = CoapOscoreFiles.OscoreOption();
        var seq = CoapOscoreFiles.SeqOption();
        var verbose = CliListener.VerboseOption();
        var pskFile = CoapPskOptions.FileOption();
        var cmd = new Command("serve", "Serve the demo resources /time (observable), /echo, /large, /store and /.well-known/core until Ctrl-C, SIGINT or SIGTERM.") { bind, port, duration, oscore, seq, verbose, pskFile };
        cmd.SetAction(p =>
        {
            using CliListener listener = CliListener.Create(p.GetValue(bind)!, p.GetValue(port), p.GetValue(duration));
            string? ctxFile = p.GetValue(oscore);
            long? startAt = p.GetValue(seq);
            if (startAt != null && ctxFile == null)
            {
                throw new CliUsageException("--seq applies to --oscore");
            }

            FileSequenceNumberStore? store = null;
            using SecurityContext? context = ctxFile == null ? null : CoapOscoreFiles.LoadContext(ctxFile, true, startAt, out store);
            using FileSequenceNumberStore? held = store;
            using DtlsPskTable? psks = p.GetValue(pskFile) is string file ? CoapPskOptions.LoadTable(file) : null;
            return RunServer(io, listener, context, psks, p.GetValue(verbose));
        });
        return cmd;
    }

    private static int RunServer(CliContext io, CliListener listener, SecurityContext? oscore, DtlsPskTable? psks, bool verbose)
    {
        OscoreContextTable? table = null;
        if (oscore != null)
        {
            table = new OscoreContextTable(1);
            table.Add(oscore);
        }

        using var server = new CoapServer(new CoapServerOptions { Oscore = table }, CliListener.Logger(io, "coap", verbose));

        // RFC 7252 §6.2, as libcoap's coap-server: coaps on the CoAP port + 1, serving the same resources.
        ILogger coapsLog = CliListener.Logger(io, "coaps", verbose);
        using CoapServer? secure = psks == null ? null : new CoapServer(new CoapServerOptions { Oscore = table }, coapsLog);
        CoapDemoResources.Map(secure == null ? [server] : [server, secure]);
        if (listener.TryStart(io, server.Start) is not IPEndPoint at)
        {
            return ExitCodes.BadInput;
        }

        string secureAt = string.Empty;
        if (secure != null)
        {
            if (at.Port == 65535)
            {
                io.Error.WriteLine("popiot: --psk-file serves coaps on the CoAP port + 1, and 65535 has none after it");
                return ExitCodes.BadInput;
            }

            // Port 0 (a free port for coap) picks a free port for coaps too.
            int dtlsPort = listener.Port == 0 ? 0 : at.Port + 1;
            if (listener.TryStartAt(io, dtlsPort, t => secure.Start(new DtlsCoapTransport(t, new DtlsCoapTransportOptions
            {
                PskStore = psks,
                Trace = verbose ? line => coapsLog.LogDebug("{Dtls}", line) : null,
            }))) is not IPEndPoint dtlsAt)
            {
                return ExitCodes.BadInput;
            }

            secureAt = " and " + listener.Addresses(dtlsAt, "coaps") + " with DTLS (" + psks!.Count.ToString(CultureInfo.InvariantCulture) + " PSK identities)";
        }

        io.Out.WriteLine("popiot coap serve: listening on " + listener.Addresses(at) + secureAt
            + " (/time /echo /large /store /.well-known/core)" + (oscore != null ? " with OSCORE" : string.Empty) + (listener.Seconds != null ? " " : "; ") + listener.Until);
        io.Out.Flush();
        Task ticker = secure == null ? Task.CompletedTask : CoapDemoResources.RunTimeTickerAsync(secure, TimeSpan.FromSeconds(1), listener.Stopping);
        CoapDemoResources.RunTimeTickerAsync(server, TimeSpan.FromSeconds(1), listener.Stopping).GetAwaiter().GetResult();
        ticker.GetAwaiter().GetResult();
        long handled = server.RequestsHandled + (secure?.RequestsHandled ?? 0);
        io.Out.WriteLine("popiot coap serve: stopped after " + handled.ToString(CultureInfo.InvariantCulture) + " requests");
        return ExitCodes.Ok;
    }
}
