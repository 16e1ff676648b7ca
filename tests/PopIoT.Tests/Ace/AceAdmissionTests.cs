using PopIoT.Ace;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Device;
using Xunit;

namespace PopIoT.Tests.Ace;

/// <summary>
/// Admission at /authz-info end to end (RFC 9200 §5.10.1.2, docs/ace-rs.md "Admission"): captured tokens posted by an
/// attacker cannot evict clients in use, and a client refused with 5.03 and Max-Age waits it out, or says why.
/// </summary>
public class AceAdmissionTests
{
    private static byte[] AuthzInfoPost(byte[] token, int n)
    {
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Post, MessageId = 0x5000 + n };
        m.SetToken([0xEE, (byte)n], 0, 2);
        m.AddUriPath("/authz-info");
        m.AddUintOption(CoapOptionNumber.ContentFormat, CoapContentFormat.AceCbor);
        byte[] payload = AuthzInfoRequest.Encode(token, [1, 2, 3, 4, 5, 6, 7, (byte)n], [0x66]);
        m.SetPayload(payload, 0, payload.Length);
        byte[] b = new byte[m.GetSerializedLength()];
        m.Serialize(b, 0, b.Length);
        return b;
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void Captured_tokens_posted_by_an_attacker_get_5_03_and_the_clients_in_use_keep_their_contexts(string network)
    {
        using var world = new AceWorld(network, slots: 2);
        AceOscoreClient a = world.Client(world.Mint("read"));
        AceOscoreClient b = world.Client(world.Mint("read"));
        Assert.Equal(CoapCode.Content, world.Run(a.GetAsync(world.At("/temp"))).Code);
        Assert.Equal(CoapCode.Content, world.Run(b.GetAsync(world.At("/temp"))).Code);

        // Valid tokens of other clients, posted from fresh addresses with the attacker's own nonces.
        for (int i = 0; i < 4; i++)
        {
            var reply = new CoapMessage();
            byte[] d = world.SendRaw(AuthzInfoPost(world.Mint("read").AccessToken, i));
            Assert.Equal(CoapParseError.None, reply.Parse(d, 0, d.Length));
            Assert.Equal(CoapCode.ServiceUnavailable, reply.Code);
            Assert.True(reply.TryGetUint(CoapOptionNumber.MaxAge, out uint maxAge));
            Assert.InRange(maxAge, 1u, (uint)AceRsSettings.DefaultEvictionProtectionSeconds);
        }

        Assert.Equal(0, world.Device.Evictions);
        Assert.Equal(4, world.Rejections().Count(d => d.Reason == AceRsError.TableFull));
        Assert.Equal(CoapCode.Content, world.Run(a.GetAsync(world.At("/temp"))).Code);
        Assert.Equal(CoapCode.Content, world.Run(b.GetAsync(world.At("/temp"))).Code);
        Assert.Equal(1, a.TokenPosts);
        Assert.Equal(1, b.TokenPosts);
    }

    [Fact]
    public void A_newcomer_refused_by_a_full_table_waits_max_age_and_then_gets_the_slot_of_the_idle_client()
    {
        // Real time over UDP loopback: a 2 s protection keeps the wait short.
        using var world = new AceWorld("udp", slots: 1, protectionSeconds: 2);
        AceOscoreClient holder = world.Client(world.Mint("read"));
        Assert.Equal(CoapCode.Content, world.Run(holder.GetAsync(world.At("/temp"))).Code);

        AceOscoreClient newcomer = world.Client(world.Mint("read"));
        Assert.Equal(CoapCode.Content, world.Run(newcomer.GetAsync(world.At("/temp"))).Code);

        // The holder verified a request under a second ago, so the first post was refused with Max-Age (1 or 2 s); the
        // client waited it out and its second post took the slot.
        SecurityDecision refused = Assert.Single(world.Rejections());
        Assert.Equal((AceDecisionKind.TokenRejected, AceRsError.TableFull, CoapCode.ServiceUnavailable), (refused.Kind, refused.Reason, refused.Code));
        Assert.Equal(2, newcomer.TokenPosts);
        Assert.Equal(1, world.Device.Evictions);
    }

    [Fact]
    public void A_client_that_may_not_wait_surfaces_the_refusal_with_its_reason_and_retry_after()
    {
        using var world = new AceWorld("udp", slots: 1);
        AceOscoreClient holder = world.Client(world.Mint("read"));
        Assert.Equal(CoapCode.Content, world.Run(holder.GetAsync(world.At("/temp"))).Code);

        AceOscoreClient impatient = world.Client(world.Mint("read"), options: new AceOscoreClientOptions { MaxRetryWait = TimeSpan.Zero });
        var e = Assert.Throws<AceTokenRejectedException>(() => world.Run(impatient.GetAsync(world.At("/temp"))));
        Assert.Equal(CoapCode.ServiceUnavailable, e.Response.Code);
        Assert.Equal(AceRsErrors.Name(AceRsError.TableFull), e.Description);
        Assert.Equal(0, e.AceError);
        Assert.NotNull(e.RetryAfter);
        Assert.InRange(e.RetryAfter!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(AceRsSettings.DefaultEvictionProtectionSeconds));
        Assert.Contains("5.03", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, impatient.TokenPosts);
        Assert.Equal(CoapCode.Content, world.Run(holder.GetAsync(world.At("/temp"))).Code);
    }
}
