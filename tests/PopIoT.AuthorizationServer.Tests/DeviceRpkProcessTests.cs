using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using PopIoT.Ace;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Dtls;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// The coap_dtls profile's RPK mode (RFC 9202 §3.2) against <c>popiot device simulate --profile dtls --rpk-key RS.key</c>
/// in its own process over UDP, with an independent BouncyCastle raw-public-key client
/// (<see cref="RawPublicKeyTestClient"/>): the key pair from <c>popiot key new --kty EC2</c>, the token with the client's
/// key in cnf posted to /authz-info, the handshake checked against RS.pub (rs_cnf), and GET /temp over the session.
/// </summary>
public sealed class DeviceRpkProcessTests : TempDirectoryTest
{
    // {1: 4, 3: 4 (HMAC 256/64), -1: 32 bytes}: the device's token key.
    private const string MacKey = "a301040304205820" + "1111111111111111111111111111111111111111111111111111111111111111";

    [Fact]
    public async Task BouncyCastle_with_the_tokens_key_gets_temp_from_device_simulate_with_rpk_key_and_another_key_is_refused()
    {
        Assert.Equal(0, CliRunner.Run("key", "new", "--kty", "EC2", "--out", F("rs.key"), "--public-out", F("rs.pub")).ExitCode);
        using PopiotProcess device = PopiotProcess.Start(
            "listening on", false, "device", "simulate", "--audience", "sensor-r", "--as-key", MacKey, "--port", "0", "--profile", "dtls", "--rpk-key", F("rs.key"), "--duration", "60");
        Match m = Regex.Match(device.Out, @"listening on coap://127\.0\.0\.1:(\d+) .*coaps on coaps://127\.0\.0\.1:(\d+), DTLS 1\.2 PSK and RPK");
        Assert.True(m.Success, device.Out);
        int coapPort = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        var coaps = new IPEndPoint(IPAddress.Loopback, int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));

        // rs_cnf: the device's public key, as the AS would give it (RFC 9202 §3.2.1); the client checks the handshake against it.
        byte[] pub = Convert.FromHexString(File.ReadAllText(F("rs.pub")).Trim());
        byte[] rsX = DtlsRawPublicKey.PublicKeyFromCoseKey(pub, 0, pub.Length).Q.Normalize().AffineXCoord.GetEncoded();

        using var client = new RawPublicKeyTestClient();
        using var thief = new RawPublicKeyTestClient();
        await using (var coap = new CoapClient(new CoapClientOptions { Timeout = TimeSpan.FromSeconds(5) }))
        {
            CoapResponse posted = await coap.PostAsync(new Uri("coap://127.0.0.1:" + coapPort + "/authz-info"), AuthzInfoRequest.Encode(Mint(client.PublicCoseKey), null, null), CoapContentFormat.AceCbor);
            Assert.True(posted.Code == CoapCode.Created, posted.Code.ToString(CultureInfo.InvariantCulture) + device.Out);
        }

        byte[] reply = await Task.Run(() =>
        {
            using RawPublicKeyTestClient.Session s = client.Connect(coaps, rsX);
            var get = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get, MessageId = 0x4242 };
            get.SetToken([0x01, 0x02], 0, 2);
            get.AddUriPath("temp");
            byte[] wire = new byte[256];
            s.Send(wire[..get.Serialize(wire, 0, wire.Length)]);
            return s.Receive(10_000) ?? throw new TimeoutException("no reply over the session; " + device.Out);
        });
        var response = new CoapMessage();
        Assert.Equal(CoapParseError.None, response.Parse(reply, 0, reply.Length));
        Assert.True(response.Code == CoapCode.Content, "code " + response.Code + "; " + device.Out);
        Assert.Equal("21.5", Encoding.UTF8.GetString(response.PayloadBuffer, response.PayloadOffset, response.PayloadLength));

        // RFC 9202 §3.2.1: a key that is no token's cnf is refused in the handshake.
        Exception e = Assert.ThrowsAny<Exception>(() => thief.Connect(coaps, rsX).Dispose());
        Assert.Contains("access_denied", e.Message, StringComparison.Ordinal);
        Assert.True(OutputShows(device, "RawPublicKeyAccepted") && OutputShows(device, "RawPublicKeyRefused reason=RpkKeyUnknown"), device.Out);
    }

    // The device's log reaches us through its stdout, asynchronously: wait for a line, up to a deadline.
    private static bool OutputShows(PopiotProcess device, string text)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!device.Out.Contains(text, StringComparison.Ordinal))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                return false;
            }

            Thread.Sleep(50);
        }

        return true;
    }

    [Fact]
    public void Rpk_key_must_be_an_owner_only_key_pair_and_needs_the_dtls_profile()
    {
        Assert.Equal(0, CliRunner.Run("key", "new", "--kty", "EC2", "--out", F("rs.key"), "--public-out", F("rs.pub")).ExitCode);
        string[] common = ["device", "simulate", "--audience", "a", "--as-key", MacKey, "--port", "0", "--duration", "1"];

        CliRunner.Result publicOnly = CliRunner.Run([.. common, "--profile", "dtls", "--rpk-key", F("rs.pub")]);
        Assert.NotEqual(0, publicOnly.ExitCode);
        Assert.Contains("private part d", publicOnly.Error, StringComparison.Ordinal);

        CliRunner.Result oscore = CliRunner.Run([.. common, "--rpk-key", F("rs.key")]);
        Assert.NotEqual(0, oscore.ExitCode);
        Assert.Contains("--rpk-key needs --profile dtls or both", oscore.Error, StringComparison.Ordinal);

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(F("rs.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
            CliRunner.Result open = CliRunner.Run([.. common, "--profile", "dtls", "--rpk-key", F("rs.key")]);
            Assert.NotEqual(0, open.ExitCode);
            Assert.Contains("chmod 600", open.Error, StringComparison.Ordinal);
        }
    }

    private static byte[] Mint(CoseKey clientPublic)
    {
        CoseKey.Decode(Convert.FromHexString(MacKey), 0, MacKey.Length / 2, out CoseKey mac);
        using (mac)
        {
            using var minter = new AccessTokenMinter([mac]);
            return minter.Mint(new TokenMintRequest
            {
                Audience = "sensor-r",
                Scope = AccessScope.Parse("read"),
                Profile = AceProfile.CoapDtls,
                ClientPublicKey = clientPublic,
                Protection = TokenProtection.Mac0,
            }).AccessToken;
        }
    }
}
