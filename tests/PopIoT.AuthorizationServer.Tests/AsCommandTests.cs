using PopIoT.Core.Cose;
using PopIoT.Cose;
using PopIoT.Core.Ace;
using PopIoT.Ace;
using Microsoft.Data.Sqlite;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Crypto;
using static PopIoT.AuthorizationServer.Tests.AceTestBed;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary><c>popiot as</c> in process: init, rs add, client add, grant, tokens, revoke, and their error exits.</summary>
public sealed class AsCommandTests : TempDirectoryTest
{
    private static CliRunner.Result Ok(params string[] args)
    {
        CliRunner.Result r = CliRunner.Run(args);
        Assert.True(r.ExitCode == 0, string.Join(' ', args) + " → " + r.ExitCode + ": " + r.Error);
        return r;
    }

    private static void Fails(string message, params string[] args)
    {
        CliRunner.Result r = CliRunner.Run(args);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_grant_issue_list_and_revoke()
    {
        string db = F("as.db");
        Assert.Contains("schema version 4", Ok("as", "init", "--db", db).Out, StringComparison.Ordinal);
        Ok("as", "rs", "add", "--db", db, "--audience", "temp1", "--key-out", F("rs.key"), "--credential-out", F("rs.json"));
        Ok("as", "client", "add", "--db", db, "--client-id", "gw1", "--credential-out", F("gw1.json"), "--as-uri", "coap://127.0.0.1:5999");
        Assert.Contains("""granted client 'gw1' scope [["/temp","GET"],["/led","GET|PUT"]]""", Ok("as", "grant", "--db", db, "--client", "gw1", "--audience", "temp1", "--scope", """[["/temp",1],["/led",5]]""").Out, StringComparison.Ordinal);

        // The files: ID.json parses (with its OSCORE part in the context-file format), RS.key is a COSE_Key usable by cwt verify.
        AceCredentialFile id = AceCredentialFile.Load(F("gw1.json"));
        Assert.Equal("gw1", id.ClientId);
        Assert.Equal(new Uri("coap://127.0.0.1:5999"), id.AsUri);
        Assert.Equal(3, id.Oscore.SenderId.Length);
        Assert.Empty(id.Oscore.RecipientId);
        Assert.Equal("temp1", AceCredentialFile.Load(F("rs.json")).Audience);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(F("gw1.json")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(F("rs.key")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(db));
        }

        // Issue one token in process against the same file, then list, verify with the CLI, and revoke.
        byte[] token;
        using (SqliteAuthorizationStore store = SqliteAuthorizationStore.Open(db))
        using (var server = new AceAuthorizationServer(store, new AuthorizationServerSettings(), PlatformCryptoProvider.Instance))
        {
            AceResponse r = await server.Token.HandleAsync(new AcePeer(false, "gw1"), TokenRequest("temp1"));
            Assert.Null(r.Error);
            token = Bytes(Map(r.Payload)[AceParameters.AccessToken]);
        }

        File.WriteAllText(F("token.hex"), Convert.ToHexStringLower(token));
        CliRunner.Result verify = CliRunner.Run("cwt", "verify", "@" + F("token.hex"), "--key", "@" + F("rs.key"), "--aud", "temp1");
        Assert.True(verify.ExitCode == 0, verify.Out + verify.Error);

        string table = Ok("as", "tokens", "--db", db).Out;
        string[] lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("CTI", lines[0], StringComparison.Ordinal);
        Assert.Contains("gw1", lines[1], StringComparison.Ordinal);
        Assert.Contains("temp1", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("active", lines[1].TrimEnd(), StringComparison.Ordinal);
        Assert.Equal("1 token(s)", lines[2].Trim());
        string cti = lines[1].Split(' ')[0];
        Assert.Equal(16, cti.Length);

        Assert.Contains("revoked token " + cti, Ok("as", "revoke", "--db", db, "--cti", cti).Out, StringComparison.Ordinal);
        Assert.EndsWith("revoked", Ok("as", "tokens", "--db", db).Out.Split('\n')[1].TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void As_grant_takes_AIF_method_names_as_token_mint_does()
    {
        string db = F("as.db");
        Ok("as", "init", "--db", db);
        Ok("as", "rs", "add", "--db", db, "--audience", "temp1", "--key-out", F("rs.key"));
        Ok("as", "client", "add", "--db", db, "--client-id", "gw1", "--credential-out", F("gw1.json"));

        // RFC 9237 §3: the same AIF scope, written with method names (as `token mint` takes it) or with the bitmask.
        Ok("as", "grant", "--db", db, "--client", "gw1", "--audience", "temp1", "--scope", """[["/temp","GET"],["/led","GET|PUT"]]""");
        Ok("as", "grant", "--db", db, "--client", "gw1", "--audience", "temp1", "--scope", """[["/temp",1]]""");
        using SqliteAuthorizationStore store = SqliteAuthorizationStore.Open(db);
        GrantRecord[] grants = store.FindGrants("gw1", "temp1").ToArray();
        Assert.Equal(2, grants.Length);
        Assert.Equal(Convert.FromHexString("8282652f74656d700182642f6c656405"), grants[0].Scope.Encode());
        Assert.Equal(Convert.FromHexString("8182652f74656d7001"), grants[1].Scope.Encode());
    }

    [Fact]
    public void Token_mint_makes_sign1_tokens_with_the_AS_keys_of_a_sign1_RS_and_its_device_takes_them()
    {
        string db = F("as.db");
        Ok("as", "init", "--db", db);
        Ok("as", "rs", "add", "--db", db, "--audience", "s1", "--protection", "sign1", "--key-out", F("s1.key"));
        ResourceServerRecord rs;
        using (SqliteAuthorizationStore store = SqliteAuthorizationStore.Open(db))
        {
            rs = store.FindResourceServer("s1")!;
        }

        // The AS's side of the keys (private ES256 key [sign], AES-CCM key [wrap key]): the one minter makes what the AS makes.
        File.WriteAllText(F("as-s1.key"), Convert.ToHexStringLower(rs.CoseKey));
        string minted = Ok("token", "mint", "--as-key", "@" + F("as-s1.key"), "--audience", "s1", "--scope", """[["/temp","GET"]]""", "--protection", "sign1", "--out", F("t.json")).Out;
        Assert.Contains("Sign1 token of", minted, StringComparison.Ordinal);

        Assert.Equal(CoseError.None, CoseKeySet.Decode(AuthorizationServerRegistry.KeysForResourceServer(rs), out IReadOnlyList<CoseKey> keys));
        using var device = new PopIoT.Device.SimulatedDevice(new PopIoT.Device.SimulatedDeviceOptions { Audience = "s1", AsKeys = keys });
        System.Net.IPEndPoint at = device.Start(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        Ok("coap", "get", "coap://127.0.0.1:" + at.Port + "/temp", "--token", F("t.json"), "-B", "10");
        Assert.Contains(device.Decisions, d => d.Kind == AceDecisionKind.TokenStored);
        foreach (CoseKey k in keys)
        {
            k.Dispose();
        }
    }

    [Fact]
    public void Errors_exit_2_with_a_reason()
    {
        string db = F("as.db");
        Fails("does not exist; create it with `popiot as init --db", "as", "tokens", "--db", F("missing.db"));
        Fails("does not exist", "as", "serve", "--db", F("missing.db"), "--duration", "1");
        Ok("as", "init", "--db", db);
        Fails("already exists", "as", "init", "--db", db);
        Fails("unknown client 'nobody'", "as", "grant", "--db", db, "--client", "nobody", "--audience", "temp1", "--scope", "read");
        Ok("as", "client", "add", "--db", db, "--client-id", "gw1", "--credential-out", F("gw1.json"));
        Fails("client 'gw1' is already registered", "as", "client", "add", "--db", db, "--client-id", "gw1", "--credential-out", F("gw1b.json"));
        Fails("unknown audience 'temp9'", "as", "grant", "--db", db, "--client", "gw1", "--audience", "temp9", "--scope", "read");
        Ok("as", "rs", "add", "--db", db, "--audience", "temp1", "--key-out", F("rs.key"));
        Fails("AIF scope is not valid JSON", "as", "grant", "--db", db, "--client", "gw1", "--audience", "temp1", "--scope", "[[\"/temp\",1]");
        Fails("must be [\"/path\", methods]", "as", "grant", "--db", db, "--client", "gw1", "--audience", "temp1", "--scope", "[[\"/temp\",-1]]");
        Fails("outside %x21", "as", "grant", "--db", db, "--client", "gw1", "--audience", "temp1", "--scope", "re\"ad");
        Fails("no token with cti 0102", "as", "revoke", "--db", db, "--cti", "0102");
        Fails("client id must be 1..128 printable ASCII", "as", "client", "add", "--db", db, "--client-id", "a b", "--credential-out", F("x.json"));
        Fails("--as-uri must be a coap:// URI", "as", "client", "add", "--db", db, "--client-id", "gw2", "--credential-out", F("x.json"), "--as-uri", "http://x");
        CliRunner.Result mac = CliRunner.Run("as", "rs", "add", "--db", db, "--audience", "m1", "--protection", "mac0", "--key-out", F("m1.key"));
        Assert.Equal(0, mac.ExitCode);
        Assert.Equal("", mac.Error);
        Assert.Equal(CoseError.None, CoseKeySet.Decode(Convert.FromHexString(File.ReadAllText(F("m1.key")).Trim()), out IReadOnlyList<CoseKey> macKeys));
        Assert.Equal([4, 10], macKeys.Select(k => k.Algorithm).Order());
    }
    [Fact]
    public void The_sign1_key_out_file_lets_the_device_verify_its_tokens_and_its_cnf_key_verifies_none()
    {
        string db = F("as.db");
        Ok("as", "init", "--db", db);
        Ok("as", "rs", "add", "--db", db, "--audience", "s1", "--protection", "sign1", "--key-out", F("s1.key"));
        Assert.Equal(CoseError.None, CoseKeySet.Decode(Convert.FromHexString(File.ReadAllText(F("s1.key")).Trim()), out IReadOnlyList<CoseKey> keys));
        CoseKey verify = keys.Single(k => k.Algorithm == CoseAlgorithm.ES256.Id);
        Assert.False(verify.HasPrivateKey);
        Assert.True(verify.Permits(CoseKeyOperation.Verify));
        Assert.False(verify.Permits(CoseKeyOperation.Sign));
        CoseKey cnf = keys.Single(k => k.Algorithm == CoseAlgorithm.AesCcm16_64_128.Id);
        Assert.True(cnf.Permits(CoseKeyOperation.UnwrapKey));
        Assert.False(cnf.Permits(CoseKeyOperation.Decrypt));
        Assert.False(cnf.Permits(CoseKeyOperation.Encrypt));

        // The device takes the file as a sign1 device; told to be an encrypt0 device, it finds no key to decrypt tokens.
        CliRunner.Result r = CliRunner.Run("device", "simulate", "--audience", "s1", "--as-key", "@" + F("s1.key"), "--protection", "encrypt0", "--port", "0", "--duration", "1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(F("s1.key"), r.Error, StringComparison.Ordinal);
        Assert.Contains("no purpose on this encrypt0 device", r.Error, StringComparison.Ordinal);
        foreach (CoseKey k in keys)
        {
            k.Dispose();
        }
    }
}
