using System.Text;
using PopIoT.Ace;
using PopIoT.Core.Cose;
using PopIoT.Core.Cwt;
using PopIoT.Crypto;
using Xunit;

namespace PopIoT.Tests.Ace;

/// <summary>Scope syntax, the TOKEN.json round trip and what the minter puts in a token (checked with the Core validator).</summary>
public class AccessTokenTests
{
    private static readonly byte[] MacBytes = Enumerable.Repeat((byte)0x11, 32).ToArray();
    private static readonly byte[] AeadBytes = Enumerable.Repeat((byte)0x22, 16).ToArray();

    [Theory]
    [InlineData("[[\"/temp\",1],[\"/led\",5]]", "8282652f74656d700182642f6c656405")]
    [InlineData("[[\"/temp\",\"GET\"],[\"/led\",\"GET|PUT\"]]", "8282652f74656d700182642f6c656405")]
    [InlineData("cbor:8282652f74656d700182642f6c656405", "8282652f74656d700182642f6c656405")]
    [InlineData("[[\"/s/temp\",\"GET\"],[\"/a/led\",\"GET|PUT\"],[\"/dtls\",2]]", "8382672f732f74656d700182662f612f6c6564058265 2f64746c7302")]
    [InlineData("[[\"/a/make-coffee\",\"POST|Dynamic-GET|Dynamic-DELETE\"]]", "81826e2f612f6d616b652d636f666665651b0000000900000002")]
    [InlineData("read admin", "6a726561642061646d696e")]
    [InlineData("cbor:6a726561642061646d696e", "6a726561642061646d696e")]
    public void Scopes_parse_to_the_rfc_9237_or_text_encoding(string text, string cbor)
    {
        cbor = cbor.Replace(" ", string.Empty, StringComparison.Ordinal);
        AccessScope scope = AccessScope.Parse(text);
        Assert.Equal(cbor, Convert.ToHexStringLower(scope.Encode()));
        Assert.Equal(scope, AccessScope.Parse(scope.ToString()));
        Assert.Equal(cbor, Convert.ToHexStringLower(AccessScope.Decode(Convert.FromHexString(cbor)).Encode()));
    }

    [Theory]
    [InlineData("[[\"temp\",1]]", "must be a URI local part starting with '/'")]
    [InlineData("[[\"/temp\",0]]", "non-empty set")]
    [InlineData("[[\"/temp\",128]]", "non-empty set")]
    [InlineData("[[\"/temp\",1],[\"/temp\",4]]", "names a path twice")]
    [InlineData("read read", "repeats a token")]
    [InlineData("cbor:81826e2f612f6d616b652d636f666665651b0000008000000002", "Dynamic-X")]
    [InlineData("[[\"/temp\",\"GET|YELL\"]]", "unknown CoAP method \"YELL\"")]
    [InlineData("[[\"/temp\"]]", "each AIF entry must be [\"/path\", methods]")]
    [InlineData("[]", "at least one")]
    [InlineData("[[\"/temp\",1]", "not valid JSON")]
    [InlineData("cbor:zz", "must be hex")]
    [InlineData("cbor:01", "not a text string or an AIF array")]
    [InlineData("  ", "at least one scope token")]
    [InlineData("caf\u00e9", "does not allow")]
    public void Bad_scopes_say_what_is_wrong(string text, string message)
    {
        var e = Assert.Throws<FormatException>(() => AccessScope.Parse(text));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scopes_narrow_by_intersection_and_add_up_by_union_per_path()
    {
        AccessScope grant = AccessScope.Parse("[[\"/temp\",\"GET|PUT\"],[\"/led\",\"GET\"]]");
        AccessScope more = AccessScope.Parse("[[\"/led\",\"PUT|Dynamic-GET\"],[\"/door\",\"POST\"]]");
        Assert.Equal("[[\"/temp\",\"GET|PUT\"],[\"/led\",\"GET|PUT|Dynamic-GET\"],[\"/door\",\"POST\"]]", grant.Union(more)!.ToString());
        Assert.Equal("[[\"/temp\",\"GET\"]]", AccessScope.Parse("[[\"/temp\",\"GET|DELETE\"],[\"/door\",1]]").Intersect(grant)!.ToString());
        Assert.Null(AccessScope.Parse("[[\"/door\",1]]").Intersect(grant));
        Assert.Equal("read", AccessScope.Parse("read admin").Intersect(AccessScope.Parse("write read"))!.ToString());
        Assert.Null(AccessScope.Parse("read").Intersect(grant));
        Assert.Null(AccessScope.Parse("read").Union(grant));
    }

    [Fact]
    public void Token_json_round_trips_every_field()
    {
        var file = new AccessTokenFile([0xd0, 0x83], [1, 2, 3, 4], [9])
        {
            Audience = "coap://rs1",
            Scope = AccessScope.Parse("[[\"/led\",5]]"),
            Protection = TokenProtection.Mac0,
            ExpiresIn = 60,
            Exi = 60,
            Salt = [5, 6],
            ContextId = [7],
            Algorithm = 30,
            Hkdf = -10,
            Profile = 7,
        };
        AccessTokenFile back = AccessTokenFile.Parse(file.ToJson(), "t.json");
        Assert.Equal(file.AccessToken, back.AccessToken);
        Assert.Equal(file.MasterSecret, back.MasterSecret);
        Assert.Equal(file.InputMaterialId, back.InputMaterialId);
        Assert.Equal((file.Audience, file.Protection, file.ExpiresIn, file.Exi, file.Expiration, file.Algorithm, file.Hkdf, file.Profile), (back.Audience, back.Protection, back.ExpiresIn, back.Exi, back.Expiration, back.Algorithm, back.Hkdf, back.Profile));
        Assert.Equal(file.Salt, back.Salt);
        Assert.Equal(file.ContextId, back.ContextId);
        Assert.Equal("[[\"/led\",\"GET|PUT\"]]", back.Scope!.ToString());
        Assert.Contains("\"ace_profile\": \"7\"", Encoding.UTF8.GetString(file.ToJson()), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Token_json_is_written_readable_by_its_owner_only()
    {
        if (OperatingSystem.IsWindows())
        {
            throw new SkipException("Windows has no Unix file modes");
        }

        string path = Path.Combine(Path.GetTempPath(), "popiot-token-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            new AccessTokenFile([0xd0], [1], [2]).Save(path);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal([1], AccessTokenFile.Load(path).MasterSecret);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(TokenProtection.Encrypt0, CnfMethod.OscoreInputMaterial)]
    [InlineData(TokenProtection.Mac0, CnfMethod.EncryptedCoseKey)]
    public void Minted_tokens_validate_and_bind_the_master_secret_in_cnf(TokenProtection protection, CnfMethod method)
    {
        using var mac = CoseKey.Symmetric(MacBytes, CoseAlgorithm.Hmac256_64.Id, null);
        using var aead = CoseKey.Symmetric(AeadBytes, 10, null);
        using var minter = new AccessTokenMinter([mac, aead]);
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        AccessTokenFile t = minter.Mint(new TokenMintRequest { Audience = "coap://rs1", Scope = AccessScope.Parse("read"), Protection = protection, Now = now, ExpiresInSeconds = 600 });
        Assert.Equal(16, t.MasterSecret.Length);
        Assert.Equal(1_800_000_600, t.Expiration);

        using var validator = new CwtValidator(PlatformCryptoProvider.Instance, new TestClock(1_800_000_100), "coap://rs1");
        validator.SetMac0Key(mac);
        validator.SetEncrypt0Key(aead);
        validator.SetCnfDecryptionKey(aead);
        using var result = new CwtValidationResult();
        Assert.Equal(CwtError.None, validator.Validate(t.AccessToken, 0, t.AccessToken.Length, result));
        Assert.Equal(method, result.Confirmation.Method);
        byte[] ms = method == CnfMethod.OscoreInputMaterial
            ? result.Confirmation.Oscore.Buffer.AsSpan(result.Confirmation.Oscore.MasterSecretOffset, result.Confirmation.Oscore.MasterSecretLength).ToArray()
            : result.Confirmation.Buffer.AsSpan(result.Confirmation.SymmetricKeyOffset, result.Confirmation.SymmetricKeyLength).ToArray();
        Assert.Equal(t.MasterSecret, ms);

        // A second token never reuses the Master Secret, the input material id or the cti.
        AccessTokenFile u = minter.Mint(new TokenMintRequest { Audience = "coap://rs1", Scope = AccessScope.Parse("read"), Protection = protection, Now = now });
        Assert.NotEqual(t.MasterSecret, u.MasterSecret);
        Assert.NotEqual(t.InputMaterialId, u.InputMaterialId);
        Assert.NotEqual(t.AccessToken, u.AccessToken);
    }

    [Fact]
    public void Exi_tokens_carry_the_audience_and_an_increasing_six_byte_sequence_number_as_cti()
    {
        using var aead = CoseKey.Symmetric(AeadBytes, 10, null);
        using var minter = new AccessTokenMinter([aead]);
        long Cti(AccessTokenFile f)
        {
            using var validator = new CwtValidator(PlatformCryptoProvider.Instance, CwtNoClock.Instance, "a");
            validator.SetEncrypt0Key(aead);
            using var result = new CwtValidationResult();
            Assert.Equal(CwtError.None, validator.Validate(f.AccessToken, 0, f.AccessToken.Length, result));
            Assert.Equal(7, result.Claims.CtiLength);
            Assert.Equal((byte)'a', result.Claims.Buffer[result.Claims.CtiOffset]);
            return result.Claims.Buffer.AsSpan(result.Claims.CtiOffset + 1, 6).ToArray().Aggregate(0L, (v, b) => (v << 8) | b);
        }

        long a = Cti(minter.Mint(new TokenMintRequest { Audience = "a", Scope = AccessScope.Parse("read"), Exi = 60 }));
        long b = Cti(minter.Mint(new TokenMintRequest { Audience = "a", Scope = AccessScope.Parse("read"), Exi = 60 }));
        Assert.True(b > a);
        Assert.Equal(42, Cti(minter.Mint(new TokenMintRequest { Audience = "a", Scope = AccessScope.Parse("read"), Exi = 60, ExiSequence = 42 })));
    }

    [Fact]
    public void The_minter_refuses_what_it_cannot_mint()
    {
        using var mac = CoseKey.Symmetric(MacBytes, CoseAlgorithm.Hmac256_64.Id, null);
        using var minter = new AccessTokenMinter([mac]);
        var request = new TokenMintRequest { Audience = "a", Scope = AccessScope.Parse("read") };
        Assert.Contains("must travel encrypted", Assert.Throws<ArgumentException>(() => minter.Mint(request)).Message, StringComparison.Ordinal);
        Assert.Contains("needs an AEAD", Assert.Throws<ArgumentException>(() => minter.Mint(new TokenMintRequest { Audience = "a", Scope = request.Scope, Protection = TokenProtection.Encrypt0 })).Message, StringComparison.Ordinal);
        Assert.Contains("not both", Assert.Throws<ArgumentException>(() => minter.Mint(new TokenMintRequest { Audience = "a", Scope = request.Scope, Exi = 5, ExpiresInSeconds = 5 })).Message, StringComparison.Ordinal);
        using var ec = CoseKey.Symmetric(MacBytes, 0, null);
        Assert.Throws<ArgumentException>(() => new AccessTokenMinter([ec]));
    }
}
