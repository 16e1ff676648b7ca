using System.CommandLine;
using System.Globalization;
using System.Text;
using PopIoT.Ace;
using PopIoT.Core.Cose;
using PopIoT.Cli.Coap;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using PopIoT.Oscore;

namespace PopIoT.Cli.Commands;

/// <summary>
/// <c>popiot coap get|put|post|delete URI</c> and <c>popiot coap serve</c>: a CoAP client and the demo server
/// (docs/coap.md), with libcoap coap-client's short options where they mean the same thing.
/// </summary>
internal static partial class CoapCommand
{
    public static Command Create(CliContext io)
    {
        var coap = new Command("coap", "CoAP client (get, put, post, delete) and demo server (serve), RFC 7252/7959/7641. See docs/coap.md.");
        coap.Subcommands.Add(Method(io, "get", CoapCode.Get, "GET a resource; with --observe, print notifications (RFC 7641)."));
        coap.Subcommands.Add(Method(io, "put", CoapCode.Put, "PUT a payload."));
        coap.Subcommands.Add(Method(io, "post", CoapCode.Post, "POST a payload."));
        coap.Subcommands.Add(Method(io, "delete", CoapCode.Delete, "DELETE a resource."));
        coap.Subcommands.Add(Serve(io));
        return coap;
    }

    private static Command Method(CliContext io, string name, byte code, string description)
    {
        var uri = new Argument<string>("URI") { Description = "coap://host[:port]/path?query (IPv6: coap://[::1]/path); coaps:// (port 5684) for CoAP over DTLS with --psk-identity and --psk." };
        var payload = new Option<string?>("--payload", "-e") { Description = "The payload as UTF-8 text." };
        var payloadHex = new Option<string?>("--payload-hex") { Description = "The payload as hex." };
        var payloadFile = new Option<string?>("--payload-file", "-f") { Description = "The payload from a file (raw bytes); - for standard input." };
        var contentFormat = new Option<string?>("--content-format", "-t") { Description = "Content-Format: a number or text, link, xml, octet, exi, json, cbor, cwt." };
        var accept = new Option<string?>("--accept", "-A") { Description = "Accept: a number or a name as for --content-format." };
        var con = new Option<bool>("--con") { Description = "Send a confirmable request (the default)." };
        var non = new Option<bool>("--non", "-N") { Description = "Send a non-confirmable request." };
        var blockSize = new Option<int?>("--block-size", "-b") { Description = "Block size 16..1024 (power of two) for Block1 and Block2 (RFC 7959)." };
        var observe = new Option<int?>("--observe") { Description = "GET only: observe and stop after COUNT responses (the first included)." };
        var timeout = new Option<double>("--timeout", "-B") { Description = "Give up after S seconds in all (default 90, as coap-client -B).", DefaultValueFactory = _ => 90 };
        var oscore = CoapOscoreFiles.OscoreOption();
        var token = new Option<string?>("--token")
        {
            Description = "Post the access token in TOKEN.json to /authz-info on the same host (ACE OSCORE profile, RFC 9203), then send the request protected with the OSCORE context derived; see docs/device.md.",
            HelpName = "TOKEN.json",
        };
        var ace = new Option<string?>("--ace")
        {
            Description = "Do the whole ACE flow with the client credential in ID.json (popiot as client add): follow the device's AS Request Creation Hints, get a token from the AS over OSCORE, post it to /authz-info, send the request under OSCORE; or, when the AS issues a coap_dtls token, over a DTLS session with its PSK (coaps://, the CoAP port + 1); see docs/gateway.md and docs/ace-dtls.md.",
            HelpName = "ID.json",
        };
        var scope = new Option<string?>("--scope")
        {
            Description = "With --ace: the scope to ask the AS for (" + TokenCommand.ScopeHelp + "); without it, the device's hint or the AS's default (the grant).",
        };
        var seq = CoapOscoreFiles.SeqOption();
        var proxy = new Option<string?>("--proxy", "-P")
        {
            Description = "Send the request through this CoAP forward proxy, coap://HOST[:PORT] (as coap-client -P): the target goes in Proxy-Uri, or with --oscore in Proxy-Scheme, Uri-Host and Uri-Port while the path stays inside the protection (RFC 8613 §4.1.3.3).",
            HelpName = "coap://HOST[:PORT]",
        };
        var proxyScheme = new Option<bool>("--proxy-scheme") { Description = "With --proxy: name the target with Proxy-Scheme, Uri-Host and Uri-Port instead of Proxy-Uri (always so under --oscore)." };
        var pskIdentity = CoapPskOptions.IdentityOption();
        var psk = CoapPskOptions.KeyOption();
        var dtlsIdentity = new Option<string>("--dtls-identity")
        {
            Description = "With --ace and a coap_dtls token: the psk_identity (RFC 9202 §3.3), kid (default: the token is posted to /authz-info over plain CoAP first and named by its kid) or token (the token itself).",
            DefaultValueFactory = _ => "kid",
        };
        dtlsIdentity.AcceptOnlyFromAmong("kid", "token");
        var rpkKey = CoapRpkOptions.KeyOption();
        var cmd = new Command(name, description) { uri, payload, payloadHex, payloadFile, contentFormat, accept, con, non, blockSize, observe, timeout, oscore, token, ace, scope, seq, proxy, proxyScheme, pskIdentity, psk, dtlsIdentity, rpkKey };
        var conditions = new CoapConditions();
        conditions.AddTo(cmd);
        var verbose = CoapVerbose.Option();
        cmd.Options.Add(verbose);

        cmd.SetAction(p =>
        {
            var request = new CoapRequest(code, ParseUri(p.GetValue(uri)!));
            conditions.Apply(p, request);
            Action<string>? trace = CoapVerbose.Trace(io, p.GetValue(verbose));
            string?[] sources = [p.GetValue(payload), p.GetValue(payloadHex), p.GetValue(payloadFile)];
            if (sources.Count(s => s != null) > 1)
            {
                throw new CliUsageException("give at most one of --payload, --payload-hex and --payload-file");
            }

            if (p.GetValue(payload) is string text)
            {
                request.Payload = Encoding.UTF8.GetBytes(text);
            }
            else if (p.GetValue(payloadHex) is string hex)
            {
                request.Payload = CliInput.ParseHex(hex, "--payload-hex");
            }
            else if (p.GetValue(payloadFile) is string file)
            {
                request.Payload = ReadFile(file, io.Stdin);
            }

            if (p.GetValue(con) && p.GetValue(non))
            {
                throw new CliUsageException("--con and --non exclude each other");
            }

            request.Confirmable = !p.GetValue(non);
            request.ContentFormat = p.GetValue(contentFormat) is string cf ? CoapPrinter.ParseContentFormat(cf, "--content-format") : null;
            request.Accept = p.GetValue(accept) is string ac ? CoapPrinter.ParseContentFormat(ac, "--accept") : null;
            if (p.GetValue(blockSize) is int size)
            {
                if (size is < 16 or > 1024 || (size & (size - 1)) != 0)
                {
                    throw new CliUsageException("--block-size must be a power of two from 16 to 1024");
                }

                request.BlockSize = size;
            }

            double seconds = p.GetValue(timeout);
            if (seconds is <= 0 or > 86400 || double.IsNaN(seconds))
            {
                throw new CliUsageException("--timeout must be in (0, 86400] seconds");
            }

            int? count = p.GetValue(observe);
            if (count != null && (code != CoapCode.Get || count < 1))
            {
                throw new CliUsageException("--observe takes a COUNT of at least 1 and works with get only");
            }

            string? ctxFile = p.GetValue(oscore);
            string? tokenFile = p.GetValue(token);
            if (ctxFile != null && tokenFile != null)
            {
                throw new CliUsageException("--oscore and --token exclude each other (--token derives its own OSCORE context)");
            }

            string? aceFile = p.GetValue(ace);
            if (aceFile != null && (ctxFile != null || tokenFile != null))
            {
                throw new CliUsageException("--ace excludes --oscore and --token (it gets its own token and context)");
            }

            SetProxy(request, p.GetValue(proxy), p.GetValue(proxyScheme), tokenFile ?? aceFile);
            if (aceFile != null && (p.GetValue(pskIdentity) != null || p.GetValue(psk) != null))
            {
                throw new CliUsageException("--ace gets its PSK from the AS (a coap_dtls token, RFC 9202 §3.3): leave out --psk-identity and --psk");
            }

            (byte[]? pskId, byte[]? pskKey) = aceFile != null ? (null, null) : CoapPskOptions.ParseClient(request.Proxy ?? request.Uri!, p.GetValue(pskIdentity), p.GetValue(psk));
            try
            {
                long? startAt = p.GetValue(seq);
                if (startAt != null && ctxFile == null && aceFile == null)
                {
                    throw new CliUsageException("--seq applies to --oscore and --ace (the contexts whose Sender Sequence Number is kept in a .seq file)");
                }

                AccessScope? wanted = null;
                if (p.GetValue(scope) is string scopeText)
                {
                    wanted = aceFile != null ? ParseScope(scopeText) : throw new CliUsageException("--scope applies to --ace");
                }

                using CoseKey? rpk = CoapRpkOptions.Load(p.GetValue(rpkKey), aceFile != null);
                if (aceFile != null)
                {
                    return RunWithAce(io, request, new CoapClientOptions { PskIdentity = pskId, Psk = pskKey, Dtls = CoapPskOptions.Settings(seconds), Timeout = TimeSpan.FromSeconds(seconds), BlockSize = request.BlockSize ?? 1024, Trace = trace }, count, aceFile, startAt, wanted, p.GetValue(dtlsIdentity) == "token" ? DtlsPskIdentityForm.Token : DtlsPskIdentityForm.Kid, rpk);
                }

                if (tokenFile != null)
                {
                    return RunWithToken(io, request, new CoapClientOptions { PskIdentity = pskId, Psk = pskKey, Dtls = CoapPskOptions.Settings(seconds), Timeout = TimeSpan.FromSeconds(seconds), BlockSize = request.BlockSize ?? 1024, Trace = trace }, count, LoadToken(tokenFile));
                }

                FileSequenceNumberStore? store = null;
                OscoreContextFile? inputs = null;
                using SecurityContext? context = ctxFile == null ? null : CoapOscoreFiles.LoadContext(ctxFile, false, startAt, out store, out inputs);
                using FileSequenceNumberStore? held = store;
                var options = new CoapClientOptions { PskIdentity = pskId, Psk = pskKey, Dtls = CoapPskOptions.Settings(seconds), Timeout = TimeSpan.FromSeconds(seconds), Oscore = context, OscoreIncludeKidContext = inputs?.SendKidContext ?? false, Trace = trace };
                return Run(io, request, options, count, store);
            }
            finally
            {
                if (pskKey != null)
                {
                    Array.Clear(pskKey);
                }
            }
        });
        return cmd;
    }

    private static void SetProxy(CoapRequest request, string? proxy, bool schemeForm, string? aceInput)
    {
        if (proxy == null)
        {
            if (schemeForm)
            {
                throw new CliUsageException("--proxy-scheme applies with --proxy");
            }

            return;
        }

        if (aceInput != null)
        {
            throw new CliUsageException("--proxy works with plain requests and --oscore; the ACE flow (--token, --ace) does not go through a proxy yet");
        }

        try
        {
            request.Proxy = CoapUri.Parse(proxy);
        }
        catch (FormatException e)
        {
            throw new CliUsageException("--proxy: " + e.Message);
        }

        request.ProxySchemeForm = schemeForm;
    }

    private static Uri ParseUri(string text)
    {
        try
        {
            return CoapUri.Parse(text);
        }
        catch (FormatException e)
        {
            throw new CliUsageException(e.Message);
        }
    }

    private static byte[] ReadFile(string file, Stream stdin)
    {
        try
        {
            if (file == "-")
            {
                using var buffer = new MemoryStream();
                stdin.CopyTo(buffer);
                return buffer.ToArray();
            }

            var info = new FileInfo(file);
            if (info.Exists && info.Length > CliInput.MaxInputBytes)
            {
                throw new CliUsageException("'" + file + "' is larger than " + CliInput.MaxInputBytes + " bytes");
            }

            return File.ReadAllBytes(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException("cannot read '" + file + "': " + e.Message);
        }
    }

    private static int Run(CliContext io, CoapRequest request, CoapClientOptions options, int? observe, FileSequenceNumberStore? store)
    {
        using var client = new CoapClient(options);
        return Send(io, request, ct => client.SendAsync(request, ct), ct => client.ObserveAsync(request, ct), options.Timeout, observe, null, options.Oscore != null, store);
    }

    private static int Send(
        CliContext io, CoapRequest request, Func<CancellationToken, Task<CoapResponse>> send, Func<CancellationToken, IAsyncEnumerable<CoapResponse>> observe,
        TimeSpan timeout, int? count, Action? after, bool oscore = true, FileSequenceNumberStore? store = null)
    {
        try
        {
            int code;
            if (count is int n)
            {
                code = Observe(io, observe, timeout, n).GetAwaiter().GetResult();
            }
            else
            {
                CoapResponse r = send(CancellationToken.None).GetAwaiter().GetResult();
                CoapPrinter.Print(io.Out, r);
                code = r.IsSuccess ? ExitCodes.Ok : ExitCodes.Rejected;
            }

            after?.Invoke();
            return code;
        }
        catch (CoapTimeoutException e)
        {
            io.Error.WriteLine("popiot: " + e.Message);
            return ExitCodes.Rejected;
        }
        catch (CoapException e)
        {
            io.Error.WriteLine("popiot: " + e.Message);
            return CoapOscoreFiles.StoreFailed(io, store) ?? ExitCodes.Rejected;
        }
        catch (System.Net.Sockets.SocketException e)
        {
            io.Error.WriteLine("popiot: " + request.Uri + ": " + e.Message);
            return ExitCodes.Rejected;
        }
        catch (Exception e) when (oscore && e is IOException or UnauthorizedAccessException)
        {
            // RFC 8613 Appendix B.1.1: without a stored sequence number nothing may be sent.
            io.Error.WriteLine("popiot: cannot keep the OSCORE sequence number: " + e.Message);
            return ExitCodes.Rejected;
        }
    }

    private static async Task<int> Observe(CliContext io, Func<CancellationToken, IAsyncEnumerable<CoapResponse>> observe, TimeSpan timeout, int count)
    {
        int seen = 0;
        CoapResponse? last = null;
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await foreach (CoapResponse r in observe(cts.Token).ConfigureAwait(false))
            {
                if (seen > 0)
                {
                    io.Out.WriteLine();
                }

                CoapPrinter.Print(io.Out, r);
                io.Out.Flush();
                last = r;
                if (++seen == count)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            io.Error.WriteLine("popiot: observation stopped after " + timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s with " + seen + " of " + count + " responses");
            return ExitCodes.Rejected;
        }

        return last != null && last.IsSuccess && seen == count ? ExitCodes.Ok : ExitCodes.Rejected;
    }
}
