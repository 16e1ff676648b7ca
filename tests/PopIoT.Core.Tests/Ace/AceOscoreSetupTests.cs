#nullable disable
using System;
using System.Security.Cryptography;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;

using Xunit;

namespace PopIoT.Core.Tests.Ace;

/// <summary>RFC 9203 §4.3 derivation: the Master Salt of the RFC's Figure 13, and client/RS contexts that match.</summary>
public class AceOscoreSetupTests
{
    // RFC 9203 §4.3, Figure 13 (tests/vectors/ace/rfc9203-figures.txt).
    private static readonly byte[] Nonce1 = Convert.FromHexString("018a278f7faab55a");
    private static readonly byte[] Nonce2 = Convert.FromHexString("25a8991cd700ac01");
    private static readonly byte[] InputSalt = Convert.FromHexString("f9af838368e353e78888e1426bd94e6f");
    private static readonly byte[] Figure13MasterSalt = Convert.FromHexString("50f9af838368e353e78888e1426bd94e6f" + "48018a278f7faab55a" + "4825a8991cd700ac01");

    [Fact]
    public void Master_salt_is_the_rfc_9203_figure_13_value()
    {
        byte[] salt = new byte[AceOscoreSetup.MaxMasterSaltLength];
        int n = AceOscoreSetup.BuildMasterSalt(new ByteRange(InputSalt, 0, InputSalt.Length), new ByteRange(Nonce1, 0, 8), new ByteRange(Nonce2, 0, 8), salt, 0);
        Assert.Equal(Figure13MasterSalt, salt.AsSpan(0, n).ToArray());
    }

    [Fact]
    public void Master_salt_without_input_salt_starts_with_the_empty_byte_string()
    {
        byte[] salt = new byte[AceOscoreSetup.MaxMasterSaltLength];
        int n = AceOscoreSetup.BuildMasterSalt(default(ByteRange), new ByteRange(Nonce1, 0, 8), new ByteRange(Nonce2, 0, 8), salt, 0);
        Assert.Equal(Convert.FromHexString("40" + "48018a278f7faab55a" + "4825a8991cd700ac01"), salt.AsSpan(0, n).ToArray());
    }

    [Fact]
    public void Client_and_rs_contexts_are_mirror_images_and_match_an_independent_derivation()
    {
        // The figure's exchange: ace_client_recipientid h'1645', ace_server_recipientid h'0000' (RFC 9203 §4.1, §4.2).
        byte[] ms = Convert.FromHexString("f9af838368e353e78888e1426bd94e6f");
        byte[] clientId = [0x16, 0x45];
        byte[] serverId = [0x00, 0x00];
        var p = AceTestSupport.Provider();
        SecurityContext client = AceOscoreSetup.CreateClientContext(p, new AceOscoreInput(ms, InputSalt, null, 0, 32), Nonce1, Nonce2, clientId, serverId);
        SecurityContext rs = AceOscoreSetup.CreateServerContext(p, new AceOscoreInput(ms, InputSalt, null, 0, 32), Nonce1, Nonce2, clientId, serverId);

        // Independent: the RS context built from the figure's Master Salt through the plain RFC 8613 constructor.
        var reference = new SecurityContext(p, ms, Figure13MasterSalt, clientId, serverId, null);
        AssertTalks(client, rs);
        SecurityContext client2 = AceOscoreSetup.CreateClientContext(p, new AceOscoreInput(ms, InputSalt, null, 0, 32), Nonce1, Nonce2, clientId, serverId);
        AssertTalks(client2, reference);

        // And the client's Sender Key equals HKDF-SHA256(salt = Master Salt, ms, info) from the platform (RFC 8613 §3.2.1).
        byte[] info = new byte[SecurityContextDerivation.MaxInfoLength];
        int n = SecurityContextDerivation.EncodeInfo(ByteRange.Of(serverId), default, 10, true, 16, info, 0);
        byte[] expected = HKDF.DeriveKey(HashAlgorithmName.SHA256, ms, 16, Figure13MasterSalt, info.AsSpan(0, n).ToArray());
        byte[] derived = new byte[16];
        using (var h = new PopIoT.Core.Crypto.Hkdf())
        {
            h.DeriveKey(ByteRange.Of(Figure13MasterSalt), ByteRange.Of(ms), new ByteRange(info, 0, n), derived, 0, 16);
        }

        Assert.Equal(expected, derived);
    }

    [Fact]
    public void Different_nonces_give_contexts_that_do_not_talk()
    {
        byte[] ms = new byte[16];
        var p = AceTestSupport.Provider();
        SecurityContext client = AceOscoreSetup.CreateClientContext(p, new AceOscoreInput(ms, null, null, 0, 32), Nonce1, Nonce2, [1], [2]);
        SecurityContext rs = AceOscoreSetup.CreateServerContext(p, new AceOscoreInput(ms, null, null, 0, 32), Nonce1, Nonce1, [1], [2]);
        var table = new OscoreContextTable(1);
        table.Add(rs);
        var m = Request(client, out _);
        Assert.Equal(OscoreStatus.DecryptionFailed, new OscoreProcessor().UnprotectRequest(m, table, new OscoreExchange()));
    }

    private static void AssertTalks(SecurityContext client, SecurityContext server)
    {
        var table = new OscoreContextTable(1);
        table.Add(server);
        var sp = new OscoreProcessor();
        var se = new OscoreExchange();
        CoapMessage m = Request(client, out OscoreExchange ce);
        Assert.Equal(OscoreStatus.Ok, sp.UnprotectRequest(m, table, se));
        var resp = new CoapMessage { Type = CoapMessageType.Acknowledgement, Code = CoapCode.Content };
        resp.SetPayload([0x31], 0, 1);
        Assert.Equal(OscoreStatus.Ok, sp.ProtectResponse(resp, se, false));
        var back = new CoapMessage();
        byte[] d = AceTestSupport.Serialize(resp);
        back.Parse(d, 0, d.Length);
        Assert.Equal(OscoreStatus.Ok, new OscoreProcessor().UnprotectResponse(back, ce));
        Assert.Equal(CoapCode.Content, back.Code);
    }

    private static CoapMessage Request(SecurityContext client, out OscoreExchange exchange)
    {
        exchange = new OscoreExchange();
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get, MessageId = 1 };
        m.AddUriPath("/temp");
        Assert.Equal(OscoreStatus.Ok, new OscoreProcessor().ProtectRequest(m, client, false, exchange));
        byte[] d = AceTestSupport.Serialize(m);
        var parsed = new CoapMessage();
        parsed.Parse(d, 0, d.Length);
        return parsed;
    }
}
