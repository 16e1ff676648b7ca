using System.Net;
using System.Net.Sockets;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using PopIoT.Crypto;
using static PopIoT.AuthorizationServer.Tests.AceTestBed;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// Two AS instances on one database each keep their own OSCORE replay window, so an attacker can replay a client's
/// token request captured on its way to instance A to instance B. B must not answer it under the request's nonce
/// (RFC 8613 §8.3 lets a server use its own Partial IV): A's and B's responses would be two different plaintexts under
/// one AES-CCM key and nonce, and the token response carries key material.
/// </summary>
public abstract class FleetNonceTests(StoreKind kind) : IDisposable
{
    private readonly Lazy<AceTestBed> _lazyBed = new(() => new AceTestBed(kind));

    public void Dispose()
    {
        if (_lazyBed.IsValueCreated)
        {
            _lazyBed.Value.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    [SkippableFact]
    public async Task A_token_request_replayed_to_a_second_instance_is_never_answered_under_the_first_answers_nonce()
    {
        AceTestBed bed = _lazyBed.Value;
        Uri a = bed.Start();
        using IAuthorizationStore secondStore = AuthorizationStores.Open(bed.DbPath);
        using var second = new AceAuthorizationServer(secondStore, bed.Settings, PlatformCryptoProvider.Instance);
        Uri b = new("coap://127.0.0.1:" + second.Start(new IPEndPoint(IPAddress.Loopback, 0)).Port);

        // The client has talked to both instances (each has its replay window for it, RFC 8613 Appendix B.1.2).
        using SecurityContext client = PeerContext(bed.Gw1.Credential);
        await using (var c = new CoapClient(new CoapClientOptions { Oscore = client, Timeout = TimeSpan.FromSeconds(30) }))
        {
            Assert.Equal(CoapCode.Created, (await Post(c, a, "/token", TokenRequest("temp1"))).Code);
            Assert.Equal(CoapCode.Created, (await Post(c, b, "/token", TokenRequest("temp1"))).Code);
        }

        // A request captured on its way to A, and the same bytes sent to B.
        var request = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Post, MessageId = 4711 };
        request.SetToken([9, 8, 7, 6], 0, 4);
        request.AddUriPath("token");
        byte[] body = TokenRequest("temp1");
        request.SetPayload(body, 0, body.Length);
        var exchange = new OscoreExchange();
        var processor = new OscoreProcessor();
        Assert.Equal(OscoreStatus.Ok, processor.ProtectRequest(request, client, false, exchange));
        byte[] datagram = new byte[request.GetSerializedLength()];
        request.Serialize(datagram, 0, datagram.Length);

        CoapMessage fromA = await Exchange(a, datagram);
        CoapMessage fromB = await Exchange(b, datagram);

        // Both answers verify for the client, each under a Partial IV of its instance's own, and the two differ.
        byte[] pivA = PartialIv(fromA);
        byte[] pivB = PartialIv(fromB);
        Assert.NotEqual(pivA, pivB);
        foreach (CoapMessage response in new[] { fromA, fromB })
        {
            var copy = new OscoreExchange();
            copy.CopyFrom(exchange);
            Assert.Equal(OscoreStatus.Ok, processor.UnprotectResponse(response, copy));
            Assert.Equal(CoapCode.Created, response.Code);
        }
    }

    private static byte[] PartialIv(CoapMessage response)
    {
        int at = response.FindOption(CoapOptionNumber.Oscore);
        Assert.True(at >= 0, "the response is protected");
        var o = new OscoreOption();
        Assert.True(o.Decode(response.GetOptionBuffer(at), response.GetOptionOffset(at), response.GetOptionLength(at)));
        Assert.True(o.HasPartialIv, "the response carries the AS's own Partial IV (RFC 8613 §8.3), not the request's nonce");
        return response.GetOptionBuffer(at).AsSpan(o.PartialIvOffset, o.PartialIvLength).ToArray();
    }
}

public sealed class FleetNonceTestsOnSqlite() : FleetNonceTests(StoreKind.Sqlite);

public sealed class FleetNonceTestsOnPostgres() : FleetNonceTests(StoreKind.Postgres);
