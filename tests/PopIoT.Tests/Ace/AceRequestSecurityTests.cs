using System.Net;
using PopIoT.Ace;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Crypto;
using PopIoT.Device;
using Xunit;

namespace PopIoT.Tests.Ace;

/// <summary>
/// A request carries its security binding (docs/ace-rs.md): every answer to an OSCORE request (a separate response,
/// RFC 7252 §5.2.2; a notification, RFC 7641 §4.2) is protected under the binding of the request it answers
/// (RFC 8613 §8.3, §4.1.3.5), whatever the resource's access rule, and never goes out in the clear.
/// </summary>
public class AceRequestSecurityTests
{
    [Fact]
    public async Task An_OSCORE_request_to_an_unprotected_resource_answered_late_gets_a_protected_separate_response()
    {
        using var rig = new Rig();
        rig.Server.Map("/slow", CoapMethods.Get, async (_, _) =>
        {
            // Later than the message layer's piggyback wait, so the answer comes as a separate response.
            await Task.Delay(300).ConfigureAwait(false);
            return new CoapResponse(CoapCode.Content, "late"u8.ToArray(), 0);
        });
        AceOscoreClient client = rig.Start();

        CoapResponse late = await client.GetAsync(rig.At("/slow"));

        Assert.Equal(CoapCode.Content, late.Code);
        Assert.Equal("late", late.PayloadText);
        rig.AssertEveryResponseProtected();
    }

    [Fact]
    public async Task An_OSCORE_observation_of_an_unprotected_resource_gets_protected_notifications()
    {
        using var rig = new Rig();
        string value = "1";
        rig.Server.Map("/open", CoapMethods.Get, (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Content, System.Text.Encoding.ASCII.GetBytes(value), 0)), observable: true);
        AceOscoreClient client = rig.Start();

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using IAsyncEnumerator<CoapResponse> watch = client.ObserveAsync(rig.At("/open"), stop.Token).GetAsyncEnumerator(stop.Token);
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal("1", watch.Current.PayloadText);

        value = "2";
        Assert.Equal(1, rig.Server.NotifyObservers("/open"));
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal("2", watch.Current.PayloadText);
        rig.AssertEveryResponseProtected();
        await stop.CancelAsync();
    }

    [Fact]
    public void A_resource_declared_protected_on_a_server_that_cannot_enforce_it_is_refused_when_mapped()
    {
        using var plain = new CoapServer();
        ArgumentException e = Assert.Throws<ArgumentException>(() =>
            plain.Map("/secret", CoapMethods.Get, (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Content)), access: ResourceAccess.Protected));
        Assert.Equal("access", e.ParamName);
    }

    /// <summary>The ACE engine as a CoapServer's access-control layer, a protected /temp, and one OSCORE client.</summary>
    private sealed class Rig : IDisposable
    {
        private readonly CoseKey _aead = CoseKey.Symmetric(Enumerable.Repeat((byte)0x22, 16).ToArray(), 10, null);
        private readonly AceResourceServer _engine;
        private readonly List<byte[]> _received = [];
        private AceOscoreClient? _client;
        private Uri? _base;

        public Rig()
        {
            _engine = new AceResourceServer(new AceRsSettings(AceWorld.Audience, "coap://as.example"), PlatformCryptoProvider.Instance);
            _engine.SetEncrypt0Key(_aead);
            _engine.TokenProtection = 16;
            Server = new CoapServer(new CoapServerOptions { MaxResources = 8 }, null, new AceServerLayer(_engine, () => DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
            Server.Map("/temp", CoapMethods.Get, (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Content, "21.5"u8.ToArray(), 0)), access: ResourceAccess.Protected);
        }

        public CoapServer Server { get; }

        public Uri At(string path) => new(_base!, path);

        /// <summary>Starts the server, posts the token (in the clear, RFC 9203 §4.1) and forgets what came back so far.</summary>
        public AceOscoreClient Start()
        {
            IPEndPoint at = Server.Start(new IPEndPoint(IPAddress.Loopback, 0));
            _base = new Uri("coap://" + at.Address + ":" + at.Port);
            var transport = new AceWorld.ReceiveRecorder(new UdpCoapTransport(new IPEndPoint(IPAddress.Loopback, 0), null), d =>
            {
                lock (_received)
                {
                    _received.Add(d);
                }
            });
            _client = new AceOscoreClient(AceWorld.Mint([_aead], "[[\"/temp\",\"GET\"]]"), _base, transport,
                new AceOscoreClientOptions { Coap = new CoapClientOptions { Timeout = TimeSpan.FromSeconds(20) } });
            Assert.Equal(CoapCode.Created, _client.PostTokenAsync().GetAwaiter().GetResult().Code);
            lock (_received)
            {
                _received.Clear();
            }

            return _client;
        }

        /// <summary>Every response with a code (not an empty ACK) came protected: outer 2.04/2.05 with OSCORE.</summary>
        public void AssertEveryResponseProtected()
        {
            lock (_received)
            {
                Assert.Contains(_received, IsResponse);
                foreach (byte[] d in _received.Where(IsResponse))
                {
                    var m = new CoapMessage();
                    Assert.Equal(CoapParseError.None, m.Parse(d, 0, d.Length));
                    Assert.True(m.HasOption(CoapOptionNumber.Oscore), "the device sent " + CoapResponse.FormatCode(m.Code) + " in clear");
                }
            }
        }

        public void Dispose()
        {
            _client?.Dispose();
            Server.Dispose();
            _engine.Dispose();
            _aead.Dispose();
        }

        private static bool IsResponse(byte[] datagram)
        {
            var m = new CoapMessage();
            return m.Parse(datagram, 0, datagram.Length) == CoapParseError.None && m.Code != 0 && CoapCode.ClassOf(m.Code) >= 2;
        }
    }
}
