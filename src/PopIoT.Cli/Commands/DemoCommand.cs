using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using PopIoT.Ace;
using PopIoT.Cli.Ace;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Device;

namespace PopIoT.Cli.Commands;

/// <summary>
/// <c>popiot demo</c>: the whole system in one process on loopback (DESIGN.md §2): an authorization server with a
/// temporary SQLite database, two simulated devices on the OSCORE profile and two on the DTLS profile, and a gateway,
/// told step by step. Every step checks what it shows, and a summary table ends the run. <c>--vectors</c> runs the older
/// walk through the published test vectors.
/// </summary>
internal static partial class DemoCommand
{
    public static Command Create(CliContext io)
    {
        var vectors = new Option<bool>("--vectors") { Description = "Recompute the published vectors (RFC 8392 Appendix A, RFC 8613 C.1.1) instead." };
        var demo = new Command("demo", "Run an AS, four devices and a gateway on loopback and show each security step (tokens, OSCORE, DTLS, refusals).") { vectors };
        demo.SetAction(p => p.GetValue(vectors) ? VectorDemo.Run(io.Out) : new SystemDemo(io.Out).Run());
        return demo;
    }

    private sealed partial class SystemDemo(TextWriter o)
    {
        private readonly List<(string Step, string Expected, string Observed, bool Ok)> _rows = [];
        private readonly DemoClock _clock = new();
        private readonly object _print = new();
        private readonly List<(IPEndPoint To, byte[] Datagram)> _sent = [];

        public int Run()
        {
            try
            {
                using var system = new LoopbackSystem(_clock, (audience, d) => Say("   [" + audience + "] " + d), dtlsDevices: true);
                return RunIn(system).GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is CoapException or AceAuthorizationException or AceTokenRejectedException or IOException or SocketException or TimeoutException)
            {
                o.WriteLine("demo: stopped: " + e.Message);
                return ExitCodes.InternalError;
            }
        }

        private async Task<int> RunIn(LoopbackSystem system)
        {
            o.WriteLine("PopIoT demo: an authorization server, four devices and a gateway on loopback (RFC 9200 with the OSCORE profile, RFC 9203, and the DTLS profile, RFC 9202).");
            o.WriteLine();

            // 1. Registration (seed §7: the AS is the trusted third party that binds keys to tokens).
            IAuthorizationStore store = system.Store;
            SimulatedDevice a = system.DeviceA;
            SimulatedDevice b = system.DeviceB;
            Uri baseA = system.BaseA;
            Uri baseB = system.BaseB;
            Say("1. Registration at the AS");
            Say("   AS database " + system.DatabasePath + " (SQLite, WAL)");
            Say("   device sensor-a: its own AS-RS key, COSE_Encrypt0 tokens, has a clock (exp)");
            Say("   device sensor-b: its own AS-RS key, COSE_Encrypt0 tokens, no clock (exi, RFC 9200 §5.10.3)");
            Say("   device sensor-c: coap_dtls only (RFC 9202, PSK mode), the PSK inside its COSE_Encrypt0 tokens");
            Say("   device sensor-d: coap_dtls only, PSKs derived from a key derivation key it shares with the AS (RFC 9202 §3.3)");
            Say("   client gateway-1: an OSCORE context shared with the AS (RFC 9203 §5); speaks coap_oscore, then coap_dtls");
            Say("   grants: gateway-1 may GET /temp and /led on sensor-a (AIF, RFC 9237), GET /temp on sensor-d, and \"read\" on sensor-b and sensor-c");
            Say("   AS on " + system.AsUri + ", sensor-a on " + baseA + ", sensor-b on " + baseB);
            Say("   sensor-c on " + LoopbackSystem.PlainBase(system.DeviceC!) + " and " + LoopbackSystem.SecureBase(system.DeviceC!)
                + ", sensor-d on " + LoopbackSystem.PlainBase(system.DeviceD!) + " and " + LoopbackSystem.SecureBase(system.DeviceD!));
            string credential = system.ClientCredential;
            string rsCredential = system.SensorACredential;
            Row("registration", "AS, 4 devices, 1 client", store.ListResourceServers().Count + " RS, " + store.ListClients().Count + " client", store.ListResourceServers().Count == 4 && store.ListClients().Count == 1);
            o.WriteLine();

            await using var gw = new AceClient(AceCredentialFile.Load(credential), new AceClientOptions
            {
                Coap = new CoapClientOptions { Timeout = TimeSpan.FromSeconds(20) },
                Time = _clock,
                DtlsIdentityForm = DtlsPskIdentityForm.Token,
                Events = e => Say("   [gateway]  " + e.Kind + ": " + e.Detail),
                TransportFactory = () => new RecordingCoapTransport(new UdpCoapTransport(new IPEndPoint(IPAddress.Loopback, 0)), Record),
            });

            // 2. The first request: creation hints, token request, token posted, then OSCORE.
            Say("2. The gateway reads sensor-a's /temp: hints, token, /authz-info, then OSCORE");
            CoapResponse r = await gw.GetAsync(new Uri(baseA, "/temp"));
            Say("   GET /temp -> " + r.CodeText + " \"" + r.PayloadText + "\" (protected with OSCORE)");
            Row("token request and protected GET", "2.05", r.CodeText, r.Code == CoapCode.Content && gw.TokenRequests == 1);
            CoapResponse rb = await gw.GetAsync(new Uri(baseB, "/temp"));
            Say("   GET sensor-b /temp -> " + rb.CodeText + " \"" + rb.PayloadText + "\" (an exi token: sensor-b has no clock)");
            Row("clockless device (exi token)", "2.05", rb.CodeText, rb.Code == CoapCode.Content);
            o.WriteLine();

            // 3. Scope: the grant has GET only on /led.
            Say("3. The gateway tries PUT /led on sensor-a, which its scope does not allow");
            CoapResponse put = await gw.PutAsync(new Uri(baseA, "/led"), "on"u8.ToArray());
            Say("   PUT /led -> " + put.CodeText + "; the LED stays " + (a.Led ? "on" : "off"));
            Row("PUT outside the scope", "4.05", put.CodeText, put.Code == CoapCode.MethodNotAllowed && !a.Led && Refused(a, AceRsError.MethodNotInScope));
            o.WriteLine();

            // 4. Replay: an attacker resends a captured protected request.
            Say("4. An attacker on the path resends a protected request it captured");
            byte[] captured;
            lock (_sent)
            {
                captured = _sent.Last(s => s.To.Port == baseA.Port && HasOscore(s.Datagram)).Datagram;
            }

            captured[2] ^= 0x5a; // a new Message ID, so the CoAP layer does not take it for a retransmission
            using (var attacker = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
            {
                await attacker.SendAsync(captured, new IPEndPoint(IPAddress.Loopback, baseA.Port));
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                UdpReceiveResult answer = await attacker.ReceiveAsync(wait.Token);
                string code = CoapResponse.FormatCode(answer.Buffer[1]);
                Say("   the replayed request -> " + code + " (RFC 8613 §7.4 replay window)");
                bool replay = Refused(a, AceRsError.Replay);
                Row("replayed request", "4.01 Replay", code + (replay ? " Replay" : string.Empty), answer.Buffer[1] == CoapCode.Unauthorized && replay);
            }

            o.WriteLine();

            // 5. A tampered token.
            Say("5. Someone changes one byte of a token and posts it");
            AceTokenResponse issued = await gw.RequestTokenAsync("sensor-a", null, null);
            byte[] bad = (byte[])issued.Token.AccessToken.Clone();
            bad[^3] ^= 0x01;
            string tampered = await PostExpectingRefusal(new AccessTokenFile(bad, issued.Token.MasterSecret, issued.Token.InputMaterialId) { Salt = issued.Token.Salt, ContextId = issued.Token.ContextId }, baseA);
            Say("   /authz-info -> " + tampered);
            Row("tampered token", "4.01", tampered, tampered.StartsWith("4.01", StringComparison.Ordinal) && Refused(a, AceRsError.TokenVerificationFailed));
            o.WriteLine();

            // 6. Expiry: the clock moves forward; the gateway replaces its token before it expires.
            Say("6. 55 minutes pass (the demo moves the shared clock); the token lives 60 minutes");
            int before = gw.TokenRequests;
            _clock.Advance(TimeSpan.FromMinutes(55));
            CoapResponse later = await gw.GetAsync(new Uri(baseA, "/temp"));
            Say("   GET /temp -> " + later.CodeText + " after the gateway fetched and posted a new token by itself");
            Row("expiring token refreshed", "new token, 2.05", (gw.TokenRequests - before) + " new token, " + later.CodeText, later.Code == CoapCode.Content && gw.TokenRequests == before + 1);
            o.WriteLine();

            // 7. Token redirect: a token for sensor-a presented to sensor-b.
            Say("7. A token for sensor-a is presented to sensor-b");
            string redirected = await PostExpectingRefusal(issued.Token, baseB);
            Say("   sensor-b /authz-info -> " + redirected + " (one AS-RS key per device: sensor-b cannot open it)");
            Row("token for A refused by B", "4.01", redirected, redirected.StartsWith("4.01", StringComparison.Ordinal) && Refused(b, AceRsError.TokenVerificationFailed));
            o.WriteLine();

            // 8. Revocation, seen by the device through introspection (RFC 9200 §5.9).
            Say("8. The AS revokes a token; sensor-a asks the AS about it (introspection over OSCORE)");
            using var introspection = new AceIntrospectionClient(AceCredentialFile.Load(rsCredential), new CoapClientOptions { Timeout = TimeSpan.FromSeconds(20) });
            AceIntrospection active = await introspection.IntrospectAsync(issued.Token.AccessToken);
            Say("   before: active=" + active.Active.ToString().ToLowerInvariant() + ", client " + active.ClientId + ", audience " + active.Audience);
            bool revoked = store.RevokeToken(active.Cti!);
            AceIntrospection after = await introspection.IntrospectAsync(issued.Token.AccessToken);
            Say("   revoked: " + revoked.ToString().ToLowerInvariant() + "; after: active=" + after.Active.ToString().ToLowerInvariant());
            Row("revocation via introspection", "active, then inactive", (active.Active ? "active" : "inactive") + ", then " + (after.Active ? "active" : "inactive"), active.Active && revoked && !after.Active);
            o.WriteLine();

            await RunDtlsAsync(system, gw);
            return Summary(store.ListTokens().Count);
        }

        private int Summary(int tokensStored)
        {
            int w1 = Math.Max(4, _rows.Max(r => r.Step.Length));
            int w2 = Math.Max(8, _rows.Max(r => r.Expected.Length));
            int w3 = Math.Max(8, _rows.Max(r => r.Observed.Length));
            o.WriteLine("Summary");
            o.WriteLine("   " + "step".PadRight(w1) + "  " + "expected".PadRight(w2) + "  " + "observed".PadRight(w3) + "  result");
            o.WriteLine("   " + new string('-', w1) + "  " + new string('-', w2) + "  " + new string('-', w3) + "  ------");
            foreach ((string step, string expected, string observed, bool ok) in _rows)
            {
                o.WriteLine("   " + step.PadRight(w1) + "  " + expected.PadRight(w2) + "  " + observed.PadRight(w3) + "  " + (ok ? "ok" : "FAILED"));
            }

            o.WriteLine();
            o.WriteLine("   " + tokensStored + " tokens issued and stored by the AS.");
            int failed = _rows.Count(r => !r.Ok);
            o.WriteLine(failed == 0 ? "demo: all steps behaved as expected" : "demo: " + failed + " step(s) did not behave as expected");
            return failed == 0 ? ExitCodes.Ok : ExitCodes.Rejected;
        }

        private static async Task<string> PostExpectingRefusal(AccessTokenFile token, Uri device)
        {
            using var client = new AceOscoreClient(token, device, new AceOscoreClientOptions { Coap = new CoapClientOptions { Timeout = TimeSpan.FromSeconds(20) } });
            try
            {
                await client.PostTokenAsync();
                return "accepted";
            }
            catch (AceTokenRejectedException e)
            {
                return e.Response.CodeText + (e.Description != null ? " " + e.Description : string.Empty);
            }
        }

        private static bool Refused(SimulatedDevice device, AceRsError reason) => device.Decisions.Any(d => d.Reason == reason);

        private static bool HasOscore(byte[] datagram)
        {
            var m = new CoapMessage();
            return m.Parse(datagram, 0, datagram.Length) == CoapParseError.None && m.HasOption(CoapOptionNumber.Oscore);
        }

        private void Record(IPEndPoint to, byte[] datagram)
        {
            lock (_sent)
            {
                _sent.Add((to, datagram));
            }
        }

        private void Row(string step, string expected, string observed, bool ok) => _rows.Add((step, expected, observed, ok));

        private void Say(string line)
        {
            lock (_print)
            {
                o.WriteLine(line);
            }
        }
    }

    // One clock for the AS, the devices and the gateway, so the demo can show expiry without waiting an hour.
    private sealed class DemoClock : TimeProvider
    {
        private long _offset;

        public void Advance(TimeSpan by) => Interlocked.Add(ref _offset, by.Ticks);

        public override DateTimeOffset GetUtcNow() => DateTimeOffset.UtcNow.AddTicks(Interlocked.Read(ref _offset));
    }
}
