using System.Security.Cryptography;
using System.Text.Json;
using PopIoT.Ace;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using static PopIoT.AuthorizationServer.Tests.AceTestBed;
using AceParameters = PopIoT.Core.Ace.AceParameters;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// Bad input on the DTLS paths: mutated token requests with req_cnf (a public COSE_Key, a kid) and ace_profile for
/// coap_dtls resource servers, mutated coap_dtls token responses at the client, and mutated DTLS TOKEN.json files. Each
/// gets a defined answer or a clear refusal, never an unexpected exception.
/// </summary>
public sealed class DtlsMalformedInputTests
{
    private static readonly HashSet<int> Codes = Enumerable.Range(1, 8).Where(c => AceErrorCode.Name(c) != null).ToHashSet();

    [Fact]
    public async Task Mutated_dtls_token_requests_each_get_a_defined_answer()
    {
        using var bed = new AceTestBed();
        using ECDsa rsKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using ECDsa clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        bed.Registry.AddResourceServer("d-enc", dtls: new ResourceServerDtls([AceProfile.CoapDtls], RsPublicKey: DtlsTokenTests.PublicKey(rsKey).Encode()));
        bed.Registry.AddResourceServer("d-kdf", TokenProtection.Mac0, dtls: new ResourceServerDtls([AceProfile.CoapDtls, AceProfile.CoapOscore], DerivePsk: true));
        bed.Registry.AddClient("gwd", profiles: [AceProfile.CoapDtls]);
        bed.Registry.Grant("gwd", "d-enc", AccessScope.Parse(AifGrant));
        bed.Registry.Grant("gwd", "d-kdf", AccessScope.Parse("read"));
        var gwd = new AcePeer(false, "gwd");
        AceResponse first = await bed.Server.Token.HandleAsync(gwd, TokenRequest("d-enc"));
        byte[] kid = (byte[])IndependentCose.ReadMap((byte[])IndependentCose.ReadMap(Map(first.Payload)[AceParameters.Cnf])[1])[2];
        byte[] publicKey = DtlsTokenTests.PublicKey(clientKey).Encode();
        byte[][] seeds =
        [
            TokenRequest("d-enc", null, (AceParameters.ReqCnf, Encode(w => { w.WriteStartMap(1); w.WriteInt32(1); w.WriteEncodedValue(publicKey, 0, publicKey.Length); })), (AceParameters.AceProfile, [0x01])),
            TokenRequest("d-enc", null, (AceParameters.ReqCnf, Encode(w => { w.WriteStartMap(1); w.WriteInt32(3); w.WriteByteString(kid); }))),
            TokenRequest("d-kdf", AccessScope.Parse("read").Encode(), (AceParameters.AceProfile, [0xf6])),
        ];
        var rng = SeededRandomSource.NewRandom(9202);
        int created = 0;
        const int Rounds = 6_000; // × 3 bodies
        for (int i = 0; i < Rounds; i++)
        {
            foreach (byte[] seed in seeds)
            {
                AceResponse r = Respond(bed.Server.Token, gwd, MalformedInputTests.Mutate(rng, seed));
                if (r.Error == null)
                {
                    Assert.Equal(CoapCode.Created, r.Code);
                    created++;
                    continue;
                }

                Assert.True(r.Code is CoapCode.BadRequest or CoapCode.Unauthorized);
                Assert.False(string.IsNullOrEmpty(r.Description));
                Assert.Contains((int)Int(Map(r.Payload)[AceParameters.Error]), Codes);
            }
        }

        Assert.True(created < Rounds * 3, "mutations must be refused too");
        Assert.Null((await bed.Server.Token.HandleAsync(gwd, TokenRequest("d-kdf"))).Error);
    }

    [Theory]
    [InlineData("ace_profile")]
    [InlineData("audience")]
    [InlineData("protection")]
    public void A_token_file_with_invalid_utf8_in_a_string_is_a_format_exception(string field)
    {
        // Found by the mutation test below: JsonDocument accepts the bytes, and reading the string threw
        // InvalidOperationException, which the CLI reports as an internal error (exit 70) instead of a bad file (exit 2).
        byte[] json = System.Text.Encoding.UTF8.GetBytes("{\"access_token\":\"d001\",\"" + field + "\":\"ab\",\"cnf\":{\"osc\":{\"id\":\"01\",\"ms\":\"02\"}}}");
        int at = Array.IndexOf(json, (byte)'a', Array.IndexOf(json, (byte)':', System.Text.Encoding.UTF8.GetString(json).IndexOf(field, StringComparison.Ordinal)));
        json[at] = 0xA1; // a continuation byte with no lead byte
        var e = Assert.Throws<FormatException>(() => AccessTokenFile.Parse(json, "t.json"));
        Assert.Contains("UTF-8", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mutated_dtls_token_responses_and_token_files_are_refused_with_a_reason_never_an_exception()
    {
        using var bed = new AceTestBed();
        using ECDsa rsKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using ECDsa clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        bed.Registry.AddResourceServer("d-enc", dtls: new ResourceServerDtls([AceProfile.CoapDtls], RsPublicKey: DtlsTokenTests.PublicKey(rsKey).Encode()));
        bed.Registry.AddClient("gwd", profiles: [AceProfile.CoapDtls]);
        bed.Registry.Grant("gwd", "d-enc", AccessScope.Parse(AifGrant));
        var gwd = new AcePeer(false, "gwd");
        byte[] publicKey = DtlsTokenTests.PublicKey(clientKey).Encode();
        byte[] psk = (await bed.Server.Token.HandleAsync(gwd, TokenRequest("d-enc"))).Payload;
        byte[] rpk = (await bed.Server.Token.HandleAsync(gwd, TokenRequest("d-enc", null, (AceParameters.ReqCnf, Encode(w => { w.WriteStartMap(1); w.WriteInt32(1); w.WriteEncodedValue(publicKey, 0, publicKey.Length); }))))).Payload;
        Assert.True(AceTokenResponse.TryParse(psk, "d-enc", out AceTokenResponse? parsed, out _));
        Assert.NotNull(parsed!.Token.Psk);
        Assert.True(AceTokenResponse.TryParse(rpk, "d-enc", out AceTokenResponse? parsedRpk, out _));
        Assert.NotNull(parsedRpk!.Token.RsPublicKey);
        byte[][] files = [parsed.Token.ToJson(), parsedRpk.Token.ToJson()];

        var rng = SeededRandomSource.NewRandom(9203);
        int refused = 0;
        for (int i = 0; i < 10_000; i++)
        {
            byte[] body = MalformedInputTests.Mutate(rng, (i & 1) == 0 ? psk : rpk);
            if (!AceTokenResponse.TryParse(body, "d-enc", out AceTokenResponse? r, out string error))
            {
                Assert.False(string.IsNullOrEmpty(error));
                refused++;
            }
            else if (r!.Token.Profile == AceProfile.CoapDtls && r.Token.Psk != null)
            {
                Assert.NotEmpty(r.Token.PskKid!);
            }

            byte[] json = MalformedInputTests.Mutate(rng, files[i & 1]);
            try
            {
                AccessTokenFile.Parse(json);
            }
            catch (FormatException e)
            {
                Assert.False(string.IsNullOrEmpty(e.Message));
            }
            catch (JsonException e)
            {
                Assert.Fail("a malformed file must give a FormatException, not " + e.GetType().Name);
            }
        }

        Assert.True(refused > 1000, "mutations must be refused: " + refused);
    }

    // The response the endpoint would send, minted without storing (an exi token with a made-up number).
    private static AceResponse Respond(Endpoints.TokenEndpoint endpoint, AcePeer peer, byte[] body)
    {
        AceResponse? refused = endpoint.Prepare(peer, body, out Endpoints.TokenIssue? issue);
        using (issue)
        {
            return refused ?? issue!.Mint(issue.Resource.HasClock ? null : 1).Response;
        }
    }
}
