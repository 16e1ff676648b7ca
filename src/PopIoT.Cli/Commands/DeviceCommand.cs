using System.CommandLine;
using System.Globalization;
using System.Net;
using PopIoT.Ace;
using PopIoT.Cli.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;
using PopIoT.Crypto;
using PopIoT.Device;
using PopIoT.IO;

namespace PopIoT.Cli.Commands;

/// <summary><c>popiot device simulate</c>: the simulated device over UDP, logging every security decision on one line (docs/device.md).</summary>
internal static class DeviceCommand
{
    public static Command Create(CliContext io)
    {
        var audience = new Option<string>("--audience") { Description = "The device's audience: tokens must name it in aud.", Required = true };
        var asKey = new Option<string[]>("--as-key")
        {
            Description = "The AS–RS key or key set (COSE_Key/COSE_KeySet as HEX or @FILE, e.g. the --key-out file of `popiot as rs add`), each key pinned by its alg and used for one purpose: the token key of the protection (MAC: Mac0, AEAD: Encrypt0, public key: Sign1) and, for mac0/sign1, the AEAD key that only unwraps the cnf. Repeatable.",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
        };
        var protection = new Option<string?>("--protection")
        {
            Description = "The one protection of the device's tokens: mac0, encrypt0 or sign1; tokens of another COSE type are refused. Default: implied by the keys (sign1 with a public key, else mac0 with a MAC key, else encrypt0).",
        };
        protection.AcceptOnlyFromAmong("mac0", "encrypt0", "sign1");
        var bind = CliListener.BindOption();
        var port = CliListener.PortOption(5683);
        var slots = new Option<int>("--slots") { Description = "Token slots, each with its OSCORE context (default 8); a full table evicts the least recently used one not in use (see --eviction-protection).", DefaultValueFactory = _ => 8 };
        var evictionProtection = new Option<int>("--eviction-protection")
        {
            Description = "Seconds a slot whose context verified a request is kept from eviction; a new token meeting a table of such slots gets 5.03 with Max-Age. 0..86400, 0 = plain LRU (default 60).",
            DefaultValueFactory = _ => AceRsSettings.DefaultEvictionProtectionSeconds,
        };
        var window = new Option<int>("--replay-window") { Description = "OSCORE replay window in bits: 32..256, a multiple of 32 (default 32).", DefaultValueFactory = _ => 32 };
        var maxToken = new Option<int>("--max-token") { Description = "The largest token accepted at /authz-info in bytes (default 512).", DefaultValueFactory = _ => 512 };
        var noClock = new Option<bool>("--no-clock") { Description = "Simulate a device without a clock: only exi tokens, counted from their arrival (RFC 9200 §5.10.3)." };
        var asUri = new Option<string>("--as-uri") { Description = "The AS URI sent in AS Request Creation Hints (RFC 9200 §5.3).", DefaultValueFactory = _ => "coap://as.example/token" };
        var crypto = new Option<string>("--crypto")
        {
            Description = "platform (default): the desktop's AES-CCM and HMAC; managed: the board's path, Core's managed AES, AES-CCM and HMAC, with every context sharing one re-keyable AES-CCM (the per-slot state is then what a board keeps).",
            DefaultValueFactory = _ => "platform",
        };
        crypto.AcceptOnlyFromAmong("platform", "managed");
        var state = new Option<string?>("--state")
        {
            Description = "A directory where the device keeps the state that survives a restart (the highest exi number burnt or taken, RFC 9200 §5.10.3); without it a --no-clock device forgets it. An unreadable state makes the device refuse exi tokens (fail closed).",
        };
        var clockAfter = new Option<double?>("--clock-after")
        {
            Description = "With --no-clock: the wall time becomes known SECONDS after start (as SNTP would on a board); until then the device is clockless (exi tokens, cnonces), from then on exp and nbf are enforced.",
        };
        var aceProfile = new Option<string>("--profile")
        {
            Description = "The ACE profiles served: oscore (default; RFC 9203), dtls (RFC 9202 PSK mode: CoAP over DTLS on the CoAP port + 1, like libcoap; tokens bound to DTLS sessions; the key derivation key, key_ops [derive key], may be one of the --as-key keys) or both.",
            DefaultValueFactory = _ => "oscore",
        };
        aceProfile.AcceptOnlyFromAmong("oscore", "dtls", "both");
        var rpkKey = new Option<string?>("--rpk-key")
        {
            Description = "With --profile dtls or both: also serve RPK mode (RFC 9202 §3.2) on the coaps port, with this file's EC2 P-256 key pair (a private COSE_Key, owner-only, from `popiot key new --kty EC2 --out RS.key --public-out RS.pub`; the AS gives clients RS.pub as rs_cnf). Raw public keys (RFC 7250), TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8; a client's key must be the cnf of a token posted to /authz-info.",
            HelpName = "RS.key",
        };
        var duration = CliListener.DurationOption();
        var verbose = CliListener.VerboseOption();
        var board = DeviceBudgetCommand.BoardOption();
        var boardsDir = DeviceBudgetCommand.BoardsDirOption();
        var simulate = new Command("simulate", "Run a simulated device: /authz-info, /temp (observable), /led, /config (admin) and /hello, protected by the ACE OSCORE profile, the DTLS profile (--profile dtls) or both. Each security decision is logged on one line.")
        {
            audience, asKey, protection, bind, port, slots, evictionProtection, window, maxToken, noClock, asUri, crypto, state, clockAfter, aceProfile, rpkKey, duration, verbose, board, boardsDir,
        };
        simulate.SetAction(p =>
        {
            // A board profile gives the engine's sizes, clock and crypto path; options given explicitly still win.
            BoardProfile? profile = p.GetValue(board) is string name ? DeviceBudgetCommand.LoadProfile(name, p.GetValue(boardsDir)) : null;
            bool Given(Option o) => p.GetResult(o) is { Implicit: false };
            return Simulate(
                io, p.GetValue(audience)!, p.GetValue(asKey)!, p.GetValue(protection), p.GetValue(bind)!, p.GetValue(port),
                profile != null && !Given(slots) ? profile.Slots : p.GetValue(slots),
                p.GetValue(evictionProtection),
                profile != null && !Given(window) ? profile.ReplayWindow : p.GetValue(window),
                profile != null && !Given(maxToken) ? profile.MaxTokenBytes : p.GetValue(maxToken),
                profile != null && !Given(noClock) ? profile.Clock == "none" : p.GetValue(noClock),
                p.GetValue(asUri)!,
                (profile != null && !Given(crypto)) || p.GetValue(crypto) == "managed",
                new DeviceStateOptions(p.GetValue(state), p.GetValue(clockAfter), p.GetValue(verbose), p.GetValue(aceProfile)!, p.GetValue(rpkKey)),
                p.GetValue(duration),
                profile);
        });
        return new Command("device", "The simulated device (resource server), its budget on a board, and provisioning a board. See docs/device.md and docs/firmware.md.") { simulate, DeviceBudgetCommand.Create(io), DeviceProvisionCommand.Create(io) };
    }

    private static int Simulate(
        CliContext io, string audience, string[] keyArgs, string? protectionArg, string bind, int port, int slots, int evictionProtection, int window, int maxToken, bool noClock, string asUri, bool managed, DeviceStateOptions stateOptions, double? seconds, BoardProfile? profile)
    {
        if (stateOptions.ClockAfterSeconds is double after && (!noClock || after < 0 || after > 86400 * 365))
        {
            throw new CliUsageException("--clock-after needs --no-clock and 0..31536000 seconds");
        }

        using CoseKey? rpk = ReadRpkKey(stateOptions.RpkKeyFile, stateOptions.Profile);
        using CliListener listener = CliListener.Create(bind, port, seconds);
        using CliKeySet keys = CliKeys.ParseKeys(keyArgs, io.Stdin, "--as-key");
        TokenProtection protection = protectionArg switch
        {
            "mac0" => TokenProtection.Mac0,
            "sign1" => TokenProtection.Sign1,
            "encrypt0" => TokenProtection.Encrypt0,
            _ => AsKeyPurposes.InferProtection(keys.Keys),
        };
        SimulatedDevice device;
        try
        {
            FileDeviceStorage? storage = stateOptions.Directory != null ? new FileDeviceStorage(stateOptions.Directory) : null;
            device = new SimulatedDevice(new SimulatedDeviceOptions
            {
                Audience = audience,
                AsKeys = keys.Keys,
                AsKeyNames = keys.Names,
                Protection = protection,
                AsUri = asUri,
                Slots = slots,
                EvictionProtectionSeconds = evictionProtection,
                ReplayWindow = window,
                MaxTokenSize = maxToken,
                HasClock = !noClock,
                MaxBlockSzx = profile?.BlockSzx ?? 6,
                Coap = profile?.ToCoapSettings(),
                ClockTick = profile != null ? TimeSpan.FromMilliseconds(profile.ClockTickMs) : TimeSpan.FromSeconds(1),
                Crypto = managed ? new ManagedCryptoProvider(PlatformRandomSource.Instance) : null,
                DecisionLogged = d => Log(io, d.ToString()),
                Logger = CliListener.Logger(io, "device", stateOptions.Verbose),
                Storage = storage,
                WallClockKnownAfter = stateOptions.ClockAfterSeconds is double a ? TimeSpan.FromSeconds(a) : null,
                Profile = stateOptions.Profile,
                DtlsSessions = profile?.DtlsSessions ?? 8,
                DtlsHandshakes = profile?.DtlsHandshakes ?? 2,
                RpkKey = rpk,
            });
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException(e.Message);
        }

        using (device)
        {
            IPEndPoint? started = device.Options.ServesDtls ? listener.TryStartWithSecure(io, device.Start) : listener.TryStart(io, device.Start);
            if (started is not IPEndPoint at)
            {
                return ExitCodes.BadInput;
            }

            Log(io, "popiot device simulate: " + audience + (profile != null ? " (board " + profile.Id + ")" : string.Empty) + " listening on " + CliListener.CoapAddress(at)
                + " (/authz-info /temp /led /config /hello); slots " + slots.ToString(CultureInfo.InvariantCulture)
                + ", eviction protection " + evictionProtection.ToString(CultureInfo.InvariantCulture) + " s, replay window " + window.ToString(CultureInfo.InvariantCulture)
                + ", max token " + maxToken.ToString(CultureInfo.InvariantCulture) + " bytes, " + AsKeyPurposes.NameOf(protection) + " tokens, " + (noClock ? "no clock (exi tokens only)" : "clock")
                + (managed ? ", managed crypto (" + AceResourceServer.StateBytesPerSlot(new AceRsSettings(audience, asUri) { ReplayWindowSize = window }).ToString(CultureInfo.InvariantCulture) + " bytes of state per slot on this 64-bit CLR)" : ", platform crypto")
                + (stateOptions.Directory != null ? ", state in " + stateOptions.Directory + (device.StorageReadable ? "" : " (UNREADABLE: exi tokens refused)") : "")
                + (stateOptions.ClockAfterSeconds is double ca ? ", wall clock known after " + ca.ToString(CultureInfo.InvariantCulture) + " s (clockless until then)" : "")
                + (stateOptions.Profile != "oscore" ? ", profile " + stateOptions.Profile : "")
                + (device.SecureEndPoint is IPEndPoint coaps ? " (coaps on " + CliListener.CoapAddress(coaps).Replace("coap://", "coaps://", StringComparison.Ordinal) + ", DTLS 1.2 PSK" + (device.RawPublicKeys is RawPublicKeyDtlsServer r ? " and RPK, key " + PopIoT.Dtls.DtlsRawPublicKey.Thumbprint(r.PublicKey)[..16] : "") + ")" : "")
                + (seconds != null ? ", " : "; ") + listener.Until);
            RunTicker(device, listener.Stopping).GetAwaiter().GetResult();
            Log(io, "popiot device simulate: stopped after " + device.RequestsHandled.ToString(CultureInfo.InvariantCulture) + " requests to resources, "
                + device.Evictions.ToString(CultureInfo.InvariantCulture) + " evictions, " + device.Expirations.ToString(CultureInfo.InvariantCulture) + " expired tokens");
            return ExitCodes.Ok;
        }
    }

    // Every two seconds /temp drifts, notifying its observers. The engine's time moves on by the device's own clock
    // (SimulatedDeviceOptions.ClockTick): expired tokens are dropped after their observations got a final 4.01.
    private static async Task RunTicker(SimulatedDevice device, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        int tick = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                tick++;
                device.SetTemperature(21.5 + ((tick % 10) - 5) / 10.0);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static void Log(CliContext io, string line)
    {
        lock (io.Out)
        {
            io.Out.WriteLine(line);
            io.Out.Flush();
        }
    }

    // --state, --clock-after and -v, kept together to bound Simulate's parameters.
    private sealed record DeviceStateOptions(string? Directory, double? ClockAfterSeconds, bool Verbose, string Profile, string? RpkKeyFile);

    // --rpk-key: the device's own key pair for RPK mode, from an owner-only file (it holds d), hex or binary.
    private static CoseKey? ReadRpkKey(string? file, string profile)
    {
        if (file == null)
        {
            return null;
        }

        if (profile == "oscore")
        {
            throw new CliUsageException("--rpk-key needs --profile dtls or both: RPK mode is a mode of the coap_dtls profile (RFC 9202 §3.2)");
        }

        string path = file.StartsWith('@') ? file[1..] : file;
        byte[] bytes;
        try
        {
            bytes = SecretFile.ReadOwnerOnly(path, 4096);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException("--rpk-key: " + e.Message);
        }

        byte[] raw = bytes;
        try
        {
            if (bytes.Length > 0 && bytes.All(b => Uri.IsHexDigit((char)b) || b is (byte)' ' or (byte)'\r' or (byte)'\n' or (byte)'\t'))
            {
                raw = CliInput.ParseHex(System.Text.Encoding.ASCII.GetString(bytes), "--rpk-key");
            }

            CoseError error = CoseKey.Decode(raw, 0, raw.Length, out CoseKey key);
            if (error != CoseError.None)
            {
                throw new CliUsageException("--rpk-key: '" + path + "' is not a COSE_Key: " + error);
            }

            if (key.KeyType != CoseKeyType.Ec2 || !key.HasPrivateKey)
            {
                key.Dispose();
                throw new CliUsageException("--rpk-key: '" + path + "' must hold an EC2 P-256 key pair with its private part d (popiot key new --kty EC2 --out RS.key); the public key alone cannot sign the handshake");
            }

            return key;
        }
        finally
        {
            Array.Clear(bytes);
            Array.Clear(raw);
        }
    }
}
