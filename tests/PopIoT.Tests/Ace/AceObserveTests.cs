using System.Threading.Channels;
using PopIoT.Ace;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Cwt;
using PopIoT.Crypto;
using Xunit;

namespace PopIoT.Tests.Ace;

/// <summary>
/// Observe under ACE (RFC 7641, RFC 9200 §5.10.2–§5.10.3, RFC 8613 §4.1.3.5): every notification is checked against the
/// token's rights and lifetime at the time it is sent, and an observation whose token expired or lost the right to GET the
/// resource ends with a final protected error response without Observe.
/// </summary>
public class AceObserveTests
{
    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void A_rights_update_that_drops_GET_temp_ends_its_observation_with_a_protected_4_03(string network)
    {
        using var world = new AceWorld(network);
        AccessTokenFile token = world.Mint("[[\"/temp\",\"GET\"],[\"/led\",\"GET\"]]");
        var received = new Received();
        AceOscoreClient client = world.Client(token, received: received.Add);
        using var watch = new Watch(world, client);
        Assert.Equal("21.5", watch.Next().PayloadText);
        Assert.Equal(1, world.Device.ObserverCount);

        // RFC 9203 §4.1: the update goes over the existing OSCORE context; it keeps the context, only the rights change.
        CoapResponse updated = world.Run(client.SendAsync(RightsUpdate(world, token, "[[\"/led\",\"GET\"]]")));
        Assert.Equal(CoapCode.Created, updated.Code);
        Assert.Equal(CoapCode.Forbidden, world.Run(client.GetAsync(world.At("/temp"))).Code);

        world.Device.SetTemperature(30.0);
        CoapResponse last = watch.Next();
        Assert.Equal(CoapCode.Forbidden, last.Code);
        Assert.Null(last.Observe);
        received.AssertNoErrorInClear();
        watch.AssertEnded();
        Assert.Equal(0, world.Device.ObserverCount);
        Assert.DoesNotContain(watch.Seen, r => r.IsSuccess && r.PayloadText == "30.0");

        // The observation is over: later changes send nothing.
        Assert.Equal(0, world.Device.SetTemperature(31.0));
        Assert.Equal(1, client.TokenPosts);
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void An_observation_ends_at_a_reboot_and_the_client_observes_anew_under_a_token_posted_again(string network)
    {
        using var world = new AceWorld(network);
        AceOscoreClient client = world.Client(world.Mint("read"));
        using (var watch = new Watch(world, client))
        {
            Assert.Equal("21.5", watch.Next().PayloadText);
            Assert.Equal(1, world.Device.ObserverCount);

            // The power cycle: the observation, its context and the token are gone; nothing goes to the old binding.
            world.Restart();
            Assert.Equal(0, world.Device.ObserverCount);
            Assert.Equal(0, world.Device.SetTemperature(30.0));
        }

        // The client's next registration gets 4.01, it posts its token again (new nonces, new keys) and observes anew.
        using var again = new Watch(world, client);
        Assert.Equal("30.0", again.Next().PayloadText);
        Assert.Equal(1, world.Device.ObserverCount);
        Assert.True(client.TokenPosts >= 2);
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void A_notification_after_the_exp_of_the_token_is_a_final_protected_4_01_not_a_2_05(string network)
    {
        using var world = new AceWorld(network);
        var received = new Received();
        AceOscoreClient client = world.Client(world.Mint("read"), options: new AceOscoreClientOptions { RepostOnUnauthorized = false }, received: received.Add);
        using var watch = new Watch(world, client);
        Assert.Equal("21.5", watch.Next().PayloadText);

        // Hours after exp (one hour), with no request in between: the token authorises nothing any more.
        world.Clock.Advance(TimeSpan.FromHours(3));
        world.Device.SetTemperature(30.0);
        AssertEndedByExpiry(world, watch, received);
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void A_notification_after_exi_on_a_device_without_a_clock_is_a_final_protected_4_01(string network)
    {
        using var world = new AceWorld(network, hasClock: false);
        var received = new Received();
        AceOscoreClient client = world.Client(world.Mint("read", exi: 60), options: new AceOscoreClientOptions { RepostOnUnauthorized = false }, received: received.Add);
        using var watch = new Watch(world, client);
        Assert.Equal("21.5", watch.Next().PayloadText);

        world.Clock.Advance(TimeSpan.FromSeconds(61));
        world.Device.SetTemperature(30.0);
        AssertEndedByExpiry(world, watch, received);
    }

    [Theory]
    [InlineData("udp", true)]
    [InlineData("lossy", true)]
    [InlineData("lossy", false)]
    public void The_device_clock_passing_the_token_lifetime_ends_the_observation_with_no_request_and_no_new_value(string network, bool hasClock)
    {
        using var world = new AceWorld(network, hasClock: hasClock);
        var received = new Received();
        AceOscoreClient client = world.Client(world.Mint("read", exi: hasClock ? null : 60), options: new AceOscoreClientOptions { RepostOnUnauthorized = false }, received: received.Add);
        using var watch = new Watch(world, client);
        Assert.Equal("21.5", watch.Next().PayloadText);
        Assert.Equal(1, world.Device.ActiveSlots);

        // Nothing reaches the device and /temp does not change: its own clock must drop the token and end the observation.
        world.Clock.Advance(hasClock ? TimeSpan.FromHours(2) : TimeSpan.FromSeconds(61));
        AssertEndedByExpiry(world, watch, received);
    }

    private static void AssertEndedByExpiry(AceWorld world, Watch watch, Received received)
    {
        // RFC 9200 §5.10.3: a 4.01 ends the long-running request; RFC 7641 §4.2, §3.2: without Observe, it is the last one.
        CoapResponse last = watch.Next();
        Assert.Equal(CoapCode.Unauthorized, last.Code);
        Assert.Null(last.Observe);

        // Protected under the observation's context (RFC 8613 §8.3), whose keys the device erased only after sending it.
        received.AssertNoErrorInClear();
        watch.AssertEnded();
        Assert.DoesNotContain(watch.Seen, r => r.IsSuccess && r.PayloadText == "30.0");
        Assert.Equal(0, world.Device.ObserverCount);
        Assert.Equal(0, world.Device.ActiveSlots);
        Assert.Equal(1, world.Device.Expirations);
        Assert.Equal(0, world.Device.SetTemperature(31.0));
    }

    // An access-rights update for the token's PoP key (RFC 9203 §4.1: cnf names the OSCORE_Input_Material id), posted
    // without nonces; the client's SendAsync protects it with the existing context.
    private static CoapRequest RightsUpdate(AceWorld world, AccessTokenFile token, string scope)
    {
        long now = world.Clock.GetUtcNow().ToUnixTimeSeconds();
        using var claims = new CwtClaimsBuilder();
        claims.SetAudience(AceWorld.Audience);
        claims.SetScopeEncoded(AccessScope.Parse(scope).Encode());
        claims.SetAceProfile(AceProfile.CoapOscore);
        claims.SetCti(Guid.NewGuid().ToByteArray());
        claims.SetIssuedAt(now);
        claims.SetExpiration(now + 3600);
        claims.SetConfirmationKid(token.InputMaterialId);
        // Protected the way the device's tokens are (one protection per RS): Mac0 under the MAC key, else Encrypt0.
        using var issuer = new CwtIssuer(PlatformCryptoProvider.Instance, world.Protection == TokenProtection.Mac0 ? world.MacKey : world.AeadKey);
        byte[] update = issuer.Create(claims);
        return new CoapRequest(CoapCode.Post, world.At("/authz-info"))
        {
            Payload = AuthzInfoRequest.Encode(update, null, null),
            ContentFormat = CoapContentFormat.AceCbor,
        };
    }

    /// <summary>Every datagram a client received.</summary>
    private sealed class Received
    {
        private readonly List<byte[]> _datagrams = [];

        public void Add(byte[] datagram)
        {
            lock (_datagrams)
            {
                _datagrams.Add(datagram);
            }
        }

        public byte[][] All()
        {
            lock (_datagrams)
            {
                return [.. _datagrams];
            }
        }

        /// <summary>
        /// The client received no 4.xx in clear. A protected response's outer code is 2.04 or 2.05 (RFC 8613 §4.2) and
        /// its real code is inside, so a 4.01 or 4.03 the client saw came protected.
        /// </summary>
        public void AssertNoErrorInClear()
        {
            byte[][] datagrams = All();
            Assert.NotEmpty(datagrams);
            foreach (byte[] d in datagrams)
            {
                var m = new CoapMessage();
                Assert.Equal(CoapParseError.None, m.Parse(d, 0, d.Length));
                Assert.False(CoapCode.ClassOf(m.Code) == 4 && !m.HasOption(CoapOptionNumber.Oscore), "the device sent " + CoapResponse.FormatCode(m.Code) + " in clear");
            }
        }
    }

    /// <summary>Observes /temp in the background; <see cref="Next"/> waits for the next response, driving the network.</summary>
    private sealed class Watch : IDisposable
    {
        private readonly AceWorld _world;
        private readonly Channel<CoapResponse> _responses = Channel.CreateUnbounded<CoapResponse>();
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _observing;
        public Watch(AceWorld world, AceOscoreClient client)
        {
            _world = world;

            _observing = Task.Run(async () =>
            {
                try
                {
                    await foreach (CoapResponse r in client.ObserveAsync(world.At("/temp"), _stop.Token))
                    {
                        lock (Seen)
                        {
                            Seen.Add(r);
                        }

                        _responses.Writer.TryWrite(r);
                    }

                    _responses.Writer.TryComplete();
                }
                catch (Exception e)
                {
                    _responses.Writer.TryComplete(e);
                }
            });
        }

        public List<CoapResponse> Seen { get; } = [];

        public CoapResponse Next()
        {
            Task<CoapResponse> next = _responses.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(_world.Net == null ? 10 : 60));
            return _world.Run(next);
        }

        /// <summary>The client's observation finished by itself (the server's last response had no Observe).</summary>
        public void AssertEnded()
        {
            _world.Run(_observing.WaitAsync(TimeSpan.FromSeconds(_world.Net == null ? 10 : 60)));
            Assert.True(_responses.Reader.Completion.IsCompletedSuccessfully);
            Assert.False(_stop.IsCancellationRequested);
        }

        public void Dispose()
        {
            _stop.Cancel();
            try
            {
                _observing.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
            }

            _stop.Dispose();
        }
    }
}
