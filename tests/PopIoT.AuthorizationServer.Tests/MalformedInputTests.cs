using PopIoT.Core.Ace;
using PopIoT.Ace;
using AceParameters = PopIoT.Core.Ace.AceParameters;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.Core.Coap;
using static PopIoT.AuthorizationServer.Tests.AceTestBed;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// Bad input: 100,000+ malformed /token and /introspect bodies (mutations of valid ones and random bytes),
/// authenticated and not: each gets a defined answer (2.01, or an error map with a known code and a description), no
/// exception escapes, and a good request works afterwards.
/// </summary>
public abstract class MalformedInputTests(StoreKind kind)
{
    private static readonly HashSet<int> Codes = Enumerable.Range(1, 8).Where(c => AceErrorCode.Name(c) != null).ToHashSet();

    [SkippableFact]
    public async Task Over_100000_malformed_bodies_each_get_a_defined_answer_and_the_as_keeps_working()
    {
        using var bed = new AceTestBed(kind);
        var rng = SeededRandomSource.NewRandom(7203);
        var gw1 = new AcePeer(false, "gw1");
        var rs = new AcePeer(true, "temp1");
        byte[][] seeds =
        [
            TokenRequest("temp1", AccessScope.Parse("""[["/temp",1],["/led",4]]""").Encode(), (AceParameters.AceProfile, [0xf6]), (AceParameters.GrantType, [0x02])),
            TokenRequest("enc1", AccessScope.Parse("read write").Encode(), (AceParameters.Cnonce, [0x43, 1, 2, 3])),
            IntrospectionRequest(new byte[40]),
        ];
        int created = 0;
        int errors = 0;
        const int Rounds = 26_000; // × 4 bodies = 104,000
        for (int i = 0; i < Rounds; i++)
        {
            byte[] token = Mutate(rng, seeds[rng.Next(2)]);
            byte[] intro = Mutate(rng, seeds[2]);
            byte[] random = new byte[rng.Next(0, 64)];
            rng.NextBytes(random);
            AcePeer? peer = (i & 3) == 0 ? null : gw1;
            foreach (AceResponse r in new[]
            {
                Respond(bed.Server.Token, peer, token),
                Respond(bed.Server.Token, peer, random),
                bed.Server.Introspection.Handle((i & 3) == 0 ? null : rs, intro),
                bed.Server.Introspection.Handle(rs, random),
            })
            {
                if (r.Error == null)
                {
                    Assert.Equal(CoapCode.Created, r.Code);
                    created++;
                }
                else
                {
                    Assert.True(r.Code is CoapCode.BadRequest or CoapCode.Unauthorized);
                    Assert.False(string.IsNullOrEmpty(r.Description));
                    var map = Map(r.Payload);
                    Assert.Contains((int)Int(map[AceParameters.Error]), Codes);
                    errors++;
                }
            }
        }

        Assert.Equal(Rounds * 4, created + errors);
        Assert.True(errors > Rounds * 2, "most mutations must be refused: " + errors);

        AceResponse good = await bed.Server.Token.HandleAsync(gw1, TokenRequest("temp1"));
        Assert.Null(good.Error);
        Assert.Single(bed.Store.ListTokens());
    }

    private static byte[] Mutate(Random rng, byte[] seed)
    {
        byte[] b = (byte[])seed.Clone();
        switch (rng.Next(5))
        {
            case 0: // flip bits
                for (int k = rng.Next(1, 4); k > 0; k--)
                {
                    b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
                }

                return b;
            case 1: // truncate
                return b.AsSpan(0, rng.Next(b.Length)).ToArray();
            case 2: // set a byte to an interesting value
                b[rng.Next(b.Length)] = (byte)new[] { 0x00, 0x1f, 0x5f, 0x7f, 0x9f, 0xbf, 0xff, 0xf6, 0xf7, 0x1b, 0xa0, 0x80 }[rng.Next(12)];
                return b;
            case 3: // insert random bytes
                int at = rng.Next(b.Length);
                byte[] extra = new byte[rng.Next(1, 8)];
                rng.NextBytes(extra);
                return [.. b.AsSpan(0, at), .. extra, .. b.AsSpan(at)];
            default: // duplicate a slice
                int from = rng.Next(b.Length);
                int len = rng.Next(1, b.Length - from + 1);
                return [.. b, .. b.AsSpan(from, len)];
        }
    }

    // The response the endpoint would send, minted without storing (an exi token with a made-up number).
    private static AceResponse Respond(Endpoints.TokenEndpoint endpoint, AcePeer? peer, byte[] body) =>
        endpoint.Prepare(peer, body, out Endpoints.TokenIssue? issue) ?? issue!.Mint(issue.Resource.HasClock ? null : 1).Response;
}


/// <summary>The suite on SQLite.</summary>
public sealed class MalformedInputTestsOnSqlite() : MalformedInputTests(StoreKind.Sqlite);

/// <summary>The suite on PostgreSQL.</summary>
public sealed class MalformedInputTestsOnPostgres() : MalformedInputTests(StoreKind.Postgres);
