using PopIoT.Ace;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Device;
using Xunit;

namespace PopIoT.Tests.Ace;

/// <summary>
/// The exi rules of a clockless device end to end (RFC 9200 §5.10.1.1, §5.10.3): a copy of a token whose unprotected
/// bytes were changed, posted by anyone, is the same token and does not restart its lifetime.
/// </summary>
public class AceExiTests
{
    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void A_byte_variant_of_an_exi_token_posted_by_anyone_does_not_extend_its_lifetime(string network)
    {
        using var world = new AceWorld(network, hasClock: false);
        // Minutes of margin: on the lossy network a retransmitted exchange spends up to MAX_TRANSMIT_SPAN (45 s, RFC 7252
        // §4.8.2) of virtual time, and AceWorld moves virtual time on when a loaded machine keeps the continuations waiting.
        AccessTokenFile token = world.Mint("read", exi: 600);
        AceOscoreClient client = world.Client(token, options: new AceOscoreClientOptions { RepostOnUnauthorized = false });
        Assert.Equal(CoapCode.Content, world.Run(client.GetAsync(world.At("/temp"))).Code);

        // 500 s later someone else posts the token with one more label in its unprotected header.
        world.Clock.Advance(TimeSpan.FromSeconds(500));
        CoapClient attacker = world.PlainClient();
        byte[] variant = WithUnprotectedLabel(token.AccessToken);
        CoapResponse r = world.Run(attacker.PostAsync(world.At("/authz-info"), AuthzInfoRequest.Encode(variant, null, null), CoapContentFormat.AceCbor));
        Assert.Equal(CoapCode.Created, r.Code);
        Assert.Contains(world.Device.Decisions, d => d.Kind == AceDecisionKind.TokenDuplicate);
        Assert.Equal(CoapCode.Content, world.Run(client.GetAsync(world.At("/temp"))).Code);

        // The lifetime still ends 600 s after the device first verified the token (a restarted one would last to 1,100 s).
        world.Clock.Advance(TimeSpan.FromSeconds(101));
        Assert.Equal(CoapCode.Unauthorized, world.Run(client.GetAsync(world.At("/temp"))).Code);
        Assert.Equal(0, world.Device.ActiveSlots);
        SecurityDecision last = world.Rejections().Last();
        Assert.Equal((AceDecisionKind.RequestDenied, AceRsError.SecurityContextNotFound), (last.Kind, last.Reason));
    }

    // The same COSE message with the private-use label -65537 added to its unprotected header (RFC 9052 §3: the
    // unprotected bucket is outside the MAC, signature and AEAD). The minter's tokens have a one-byte COSE tag, a
    // protected header shorter than 24 bytes and fewer than 23 unprotected labels.
    private static byte[] WithUnprotectedLabel(byte[] token)
    {
        int at = 0;
        if (token[0] == 0xd8 && token[1] == 61)
        {
            at = 2;
        }

        Assert.InRange(token[at], 0xd0, 0xd2);
        Assert.InRange(token[at + 1], 0x83, 0x84);
        int protectedHead = at + 2;
        Assert.InRange(token[protectedHead], 0x40, 0x57);
        int map = protectedHead + 1 + (token[protectedHead] - 0x40);
        Assert.InRange(token[map], 0xa0, 0xb6);
        byte[] extra = [0x3a, 0x00, 0x01, 0x00, 0x00, 0x01];
        byte[] v = new byte[token.Length + extra.Length];
        Array.Copy(token, v, map);
        v[map] = (byte)(token[map] + 1);
        extra.CopyTo(v, map + 1);
        Array.Copy(token, map + 1, v, map + 1 + extra.Length, token.Length - map - 1);
        return v;
    }
}
