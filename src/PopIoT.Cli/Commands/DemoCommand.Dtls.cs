using PopIoT.Ace;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Cli.Ace;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Device;

namespace PopIoT.Cli.Commands;

/// <summary>The demo's coap_dtls steps (RFC 9202, PSK mode; docs/ace-dtls.md, "In the demo").</summary>
internal static partial class DemoCommand
{
    private sealed partial class SystemDemo
    {
        // The relay's own handshake, which cannot complete, is given up after this (on loopback a real one takes
        // milliseconds); the gateway's with the relay, which cannot complete either, is given up when the relay's ends.
        private const int RelayHandshakeTimeoutMs = 2000;

        private static CoapClientOptions DtlsCoap => new() { Timeout = TimeSpan.FromSeconds(20) };

        private async Task RunDtlsAsync(LoopbackSystem system, AceClient gw)
        {
            SimulatedDevice c = system.DeviceC!;
            SimulatedDevice d = system.DeviceD!;
            Uri plainC = LoopbackSystem.PlainBase(c);
            Uri secureC = LoopbackSystem.SecureBase(c);
            Uri secureD = LoopbackSystem.SecureBase(d);

            // 9. RFC 9202 §3.3.2: the token itself as the psk_identity; the handshake with its PSK proves possession.
            Say("9. The gateway reads sensor-c's /temp over DTLS: hints, a coap_dtls token, the token itself as psk_identity (RFC 9202 §3.3.2)");
            int requests = gw.TokenRequests;
            CoapResponse r = await gw.GetAsync(new Uri(secureC, "/temp"));
            IssuedTokenRecord? issued = system.Store.ListTokens().Where(t => t.Audience == "sensor-c").MaxBy(t => t.IssuedAt);
            Say("   the AS chose ace_profile " + issued?.Profile + " (coap_dtls, the one profile sensor-c supports; RFC 9200 §5.8.4.3) and sent it in its response");
            Say("   GET /temp -> " + r.CodeText + " \"" + r.PayloadText + "\" over the DTLS session (the PSK came in the token response's cnf, RFC 9202 §3.3)");
            bool accepted = Decided(c, AceDecisionKind.PskIdentityAccepted) == 1;
            Row("DTLS: token as psk_identity", "ace_profile 1, 2.05", "ace_profile " + issued?.Profile + ", " + r.CodeText, r.Code == CoapCode.Content && issued?.Profile == AceProfile.CoapDtls && accepted && gw.TokenRequests == requests + 1);

            // The other form: the token posted to /authz-info first, the handshake naming its kid.
            AccessTokenFile kidToken = (await gw.RequestTokenAsync("sensor-c", null, null)).Token;
            byte[] identity = AceDtlsClient.KidIdentity(kidToken.PskKid!);
            Say("   the kid form: a second token (ace_profile " + kidToken.Profile + ") posted to " + plainC + "authz-info, then psk_identity "
                + Convert.ToHexString(identity) + " = {8: {1: {1: 4, 2: kid}}} (" + identity.Length + " bytes)");
            string kidForm;
            using (var kidClient = new AceDtlsClient(kidToken, secureC, new AceDtlsClientOptions { IdentityForm = DtlsPskIdentityForm.Kid, Coap = DtlsCoap }))
            {
                await kidClient.PostTokenAsync();
                CoapResponse rk = await kidClient.SendAsync(new CoapRequest(CoapCode.Get, new Uri(secureC, "/temp")));
                kidForm = "2.01, " + rk.CodeText;
                Say("   POST /authz-info -> 2.01; GET /temp over the new session -> " + rk.CodeText);
            }

            Row("DTLS: kid form after /authz-info", "2.01, 2.05", kidForm, kidForm == "2.01, 2.05" && kidToken.Profile == AceProfile.CoapDtls && Decided(c, AceDecisionKind.TokenStored) == 1 && Decided(c, AceDecisionKind.PskIdentityAccepted) == 2);
            Say(string.Empty);

            // 10. RFC 9202 §3.4, RFC 9200 §5.10.2: the session's token decides each request.
            Say("10. Over its session the gateway tries PUT /led and PUT /config, which its scope does not allow (RFC 9202 §3.4)");
            CoapResponse put = await gw.PutAsync(new Uri(secureC, "/led"), "on"u8.ToArray());
            Say("   PUT /led -> " + put.CodeText + " (\"read\" allows GET on /led, not PUT); the LED stays " + (c.Led ? "on" : "off"));
            CoapResponse config = await gw.PutAsync(new Uri(secureC, "/config"), "{}"u8.ToArray());
            Say("   PUT /config -> " + config.CodeText + " (\"read\" does not cover /config at all)");
            Row("DTLS: PUT outside the scope", "4.05", put.CodeText, put.Code == CoapCode.MethodNotAllowed && !c.Led && Refused(c, AceRsError.MethodNotInScope));
            Row("DTLS: resource outside the scope", "4.03", config.CodeText, config.Code == CoapCode.Forbidden && c.Config.Length == 0 && Refused(c, AceRsError.ScopeDenied));
            Say(string.Empty);

            // 11. Token redirect in the handshake: the identity is taken in as /authz-info would take it, and refused.
            Say("11. A token for sensor-d is shown to sensor-c as psk_identity");
            AccessTokenFile forD = (await gw.RequestTokenAsync("sensor-d", null, null)).Token;
            string atD;
            using (var client = new AceDtlsClient(forD, secureD, new AceDtlsClientOptions { IdentityForm = DtlsPskIdentityForm.Token, Coap = DtlsCoap }))
            {
                atD = (await client.SendAsync(new CoapRequest(CoapCode.Get, new Uri(secureD, "/temp")))).CodeText;
            }

            Say("   at sensor-d, its audience: GET /temp -> " + atD + " (its cnf holds only a kid; sensor-d derives the PSK, RFC 9202 §3.3)");
            (bool failed, string atC) = await Attempt(new AceDtlsClient(forD, secureC, new AceDtlsClientOptions { IdentityForm = DtlsPskIdentityForm.Token, Coap = DtlsCoap }), new Uri(secureC, "/temp"));
            Say("   at sensor-c: " + atC);
            SecurityDecision? refusal = c.Decisions.LastOrDefault(x => x.Kind == AceDecisionKind.PskIdentityRefused);
            bool illegal = failed && atC.Contains("illegal_parameter", StringComparison.Ordinal);
            Row("DTLS: token for D shown to C", "illegal_parameter", (illegal ? "illegal_parameter" : atC) + (refusal != null ? " " + AceRsErrors.Name(refusal.Reason) : string.Empty), illegal && refusal != null && atD == "2.05");
            Say(string.Empty);

            await RelayAsync(gw, c, secureC);
        }

        // 12. The seed's §3.2 intermediary: a relay that terminates DTLS, with a captured token but without its PSK.
        private async Task RelayAsync(AceClient gw, SimulatedDevice c, Uri secureC)
        {
            Say("12. A relay between the gateway and sensor-c terminates DTLS: it captures the token, but not its PSK (seed §3.2)");
            using var relay = new DtlsRelay(RelayHandshakeTimeoutMs);
            AccessTokenFile token = (await gw.RequestTokenAsync("sensor-c", null, null)).Token;
            int decisionsBefore = c.Decisions.Count;
            long handledBefore = c.RequestsHandled;

            // The gateway takes the relay for sensor-c; its psk_identity, the token, crosses the relay in the clear.
            using var giveUp = new CancellationTokenSource();
            var toRelay = new AceDtlsClient(token, relay.SecureBase, new AceDtlsClientOptions { IdentityForm = DtlsPskIdentityForm.Token, Coap = DtlsCoap });
            Task<(bool Failed, string Text)> gatewayTry = Attempt(toRelay, new Uri(relay.SecureBase, "/temp"), giveUp.Token);
            await Task.WhenAny(relay.Captured, gatewayTry);
            byte[]? captured = relay.Captured.IsCompleted ? await relay.Captured : null;
            bool isToken = captured != null && captured.AsSpan().SequenceEqual(token.AccessToken);
            Say("   relay: " + (captured == null ? "captured nothing" : "captured the gateway's psk_identity, " + captured.Length + " bytes: " + (isToken ? "the access token itself" : "not the token")));

            string relayTry = captured == null ? "not tried (nothing captured)" : await relay.TryDeviceAsync(secureC, captured);
            bool gatewayWaiting = !gatewayTry.IsCompleted;
            await giveUp.CancelAsync();
            (bool gatewayFailed, string gatewaySaw) = await gatewayTry;
            SecurityDecision[] since = [.. c.Decisions.Skip(decisionsBefore)];
            bool identityTaken = since.Any(x => x.Kind == AceDecisionKind.PskIdentityAccepted);
            int allowed = since.Count(x => x.Kind == AceDecisionKind.RequestAllowed);
            long handled = c.RequestsHandled - handledBefore;
            Say("   relay -> sensor-c with the captured token: " + relayTry);
            Say("      sensor-c took the token as identity (it is valid), but the relay cannot make the Finished under its PSK (RFC 5246 §7.4.9)");
            Say("   gateway -> relay (posing as sensor-c): " + gatewaySaw);
            Say("      " + relay.AuthenticationFailures + " record(s) from the gateway failed authentication at the relay (its Finished, under the token's PSK);"
                + " the relay never sends a Finished, so the gateway's handshake does not complete");
            Say("   relay: " + relay.ApplicationBytesDecrypted + " application bytes decrypted, " + allowed + " requests accepted by sensor-c ("
                + handled + " served)");
            bool relayFailed = captured != null && !relayTry.StartsWith("answered", StringComparison.Ordinal);
            Row("DTLS: relay without the PSK", "0 bytes, 0 requests", relay.ApplicationBytesDecrypted + " bytes, " + allowed + " requests",
                isToken && relayFailed && gatewayWaiting && gatewayFailed && identityTaken && relay.AuthenticationFailures > 0 && relay.ApplicationBytesDecrypted == 0 && allowed == 0 && handled == 0);
            Say(string.Empty);
        }

        // Sends a GET and reports whether the exchange failed, with the reason (the DTLS alert, a timeout, or given up
        // while the handshake was still waiting); disposes the client.
        private static async Task<(bool Failed, string Text)> Attempt(AceDtlsClient client, Uri target, CancellationToken giveUp = default)
        {
            var waited = System.Diagnostics.Stopwatch.StartNew();
            using (client)
            {
                try
                {
                    CoapResponse r = await client.SendAsync(new CoapRequest(CoapCode.Get, target), giveUp);
                    return (false, "answered " + r.CodeText);
                }
                catch (Exception e) when (e is CoapException or TimeoutException)
                {
                    return (true, e.Message);
                }
                catch (OperationCanceledException) when (giveUp.IsCancellationRequested)
                {
                    return (true, "no handshake with " + target.GetLeftPart(UriPartial.Authority) + " after "
                        + waited.Elapsed.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " s: the gateway gives up");
                }
            }
        }

        private static int Decided(SimulatedDevice device, AceDecisionKind kind) => device.Decisions.Count(x => x.Kind == kind && !x.IsRejection);
    }
}
