using Microsoft.Data.Sqlite;
using PopIoT.Ace;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Core.Ace;
using PopIoT.Core.Cose;
using PopIoT.Cose;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// The DTLS profile from the command line (docs/ace-dtls.md): <c>as rs add --profile/--dtls-psk/--rs-cnf</c>,
/// <c>as client add --profile</c> and what <c>list</c>/<c>show</c> print, with their refusals, on each store.
/// </summary>
public abstract class DtlsCommandTests(StoreKind kind) : TempDirectoryTest
{
    private readonly List<TestStore> _stores = [];

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        foreach (TestStore s in _stores)
        {
            s.Dispose();
        }

        base.Dispose(disposing);
    }

    // An empty database of this suite's kind for `as init --db`.
    private string NewDb()
    {
        TestStore s = TestStore.Empty(kind);
        _stores.Add(s);
        return s.Db;
    }

    private static CliRunner.Result Ok(params string[] args)
    {
        CliRunner.Result r = CliRunner.Run(args);
        SqliteConnection.ClearAllPools();
        Assert.True(r.ExitCode == 0, string.Join(' ', args) + " → " + r.ExitCode + ": " + r.Out + r.Error);
        return r;
    }

    internal static void Fails(string message, params string[] args)
    {
        CliRunner.Result r = CliRunner.Run(args);
        SqliteConnection.ClearAllPools();
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Error, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Rs_and_client_add_record_profiles_the_derivation_key_and_rs_cnf_and_show_them()
    {
        string db = NewDb();
        Ok("as", "init", "--db", db);
        Ok("key", "new", "--kty", "EC2", "--out", F("rs-rpk.key"), "--public-out", F("rs-rpk.pub"));
        string added = Ok("as", "rs", "add", "--db", db, "--audience", "lamp", "--profile", "coap_dtls", "--profile", "coap_oscore", "--dtls-psk", "derive",
            "--rs-cnf", "@" + F("rs-rpk.pub"), "--key-out", F("lamp.key")).Out;
        Assert.Contains("profiles coap_dtls, coap_oscore, DTLS PSK derived from the token, RPK with rs_cnf", added, StringComparison.Ordinal);
        Ok("as", "client", "add", "--db", db, "--client-id", "gw", "--profile", "coap_dtls", "--credential-out", F("gw.json"));

        // The key file: the token key and the key derivation key, each with its one purpose.
        Assert.Equal(CoseError.None, CoseKeySet.Decode(Convert.FromHexString(File.ReadAllText(F("lamp.key")).Trim()), out IReadOnlyList<CoseKey> keys));
        Assert.Equal(2, keys.Count);
        Assert.Single(keys, k => PopIoT.Device.AsKeyPurposes.IsDerivationKey(k));
        Assert.Single(keys, k => k.Permits(CoseKeyOperation.Decrypt) && !k.Permits(CoseKeyOperation.DeriveKey));

        string show = Ok("as", "rs", "show", "--db", db, "--audience", "lamp").Out;
        Assert.Contains("profiles:   coap_dtls, coap_oscore", show, StringComparison.Ordinal);
        Assert.Contains("DTLS:       PSK derived from the token with a key derivation key (RFC 9202 §3.3); RPK with rs_cnf", show, StringComparison.Ordinal);
        Assert.Contains("profiles:   coap_dtls", Ok("as", "client", "show", "--db", db, "--client-id", "gw").Out, StringComparison.Ordinal);
        string list = Ok("as", "rs", "list", "--db", db).Out;
        Assert.Contains("PROFILES", list, StringComparison.Ordinal);
        Assert.Contains("coap_dtls, coap_oscore", list, StringComparison.Ordinal);

        using (IAuthorizationStore store = AuthorizationStores.Open(db))
        {
            Assert.Equal(Convert.FromHexString(File.ReadAllText(F("rs-rpk.pub")).Trim()).Length, store.FindResourceServer("lamp")!.RsPublicKey!.Length);
            Assert.Equal([AceProfile.CoapDtls], store.FindClient("gw")!.Profiles!);
        }

        SqliteConnection.ClearAllPools();
    }

    [SkippableFact]
    public void Bad_profile_and_dtls_options_exit_2_before_anything_is_registered()
    {
        string db = NewDb();
        Ok("as", "init", "--db", db);
        Ok("key", "new", "--kty", "EC2", "--out", F("rs-rpk.key"), "--public-out", F("rs-rpk.pub"));
        Fails("add --profile coap_dtls", "as", "rs", "add", "--db", db, "--audience", "a", "--dtls-psk", "derive", "--key-out", F("a.key"));
        Fails("add --profile coap_dtls", "as", "rs", "add", "--db", db, "--audience", "a", "--rs-cnf", "@" + F("rs-rpk.pub"), "--key-out", F("a.key"));
        Fails("give the public key only", "as", "rs", "add", "--db", db, "--audience", "a", "--profile", "coap_dtls", "--rs-cnf", "@" + F("rs-rpk.key"), "--key-out", F("a.key"));
        Fails("names a profile twice", "as", "client", "add", "--db", db, "--client-id", "c", "--profile", "coap_dtls", "--profile", "coap_dtls", "--credential-out", F("c.json"));
        Assert.Equal(2, CliRunner.Run("as", "rs", "add", "--db", db, "--audience", "a", "--profile", "coap_tls", "--key-out", F("a.key")).ExitCode);
        SqliteConnection.ClearAllPools();
        using IAuthorizationStore store = AuthorizationStores.Open(db);
        Assert.Empty(store.ListResourceServers());
        Assert.Empty(store.ListClients());
    }

    [SkippableFact]
    public void Rs_add_takes_a_given_derivation_key_with_its_one_purpose_and_refuses_others()
    {
        string db = NewDb();
        Ok("as", "init", "--db", db);
        Ok("key", "new", "--kty", "oct", "--purpose", "derive", "--out", F("kdk.key"));
        Ok("key", "new", "--kty", "oct", "--alg", "HMAC 256/64", "--out", F("mac.key"));
        string added = Ok("as", "rs", "add", "--db", db, "--audience", "valve", "--profile", "coap_dtls", "--derivation-key", "@" + F("kdk.key"), "--key-out", F("valve.key")).Out;
        Assert.Contains("DTLS PSK derived from the token", added, StringComparison.Ordinal);
        Assert.Equal(CoseError.None, CoseKeySet.Decode(Convert.FromHexString(File.ReadAllText(F("valve.key")).Trim()), out IReadOnlyList<CoseKey> keys));
        CoseKey kdk = keys.Single(PopIoT.Device.AsKeyPurposes.IsDerivationKey);
        Assert.Equal(IndependentCose.SymmetricK(Convert.FromHexString(File.ReadAllText(F("kdk.key")).Trim())), IndependentCose.SymmetricK(kdk.Encode()));

        Fails("key_ops [derive key] (7) and no other purpose", "as", "rs", "add", "--db", db, "--audience", "v2", "--profile", "coap_dtls", "--derivation-key", "@" + F("mac.key"), "--key-out", F("v2.key"));
        Fails("add --profile coap_dtls", "as", "rs", "add", "--db", db, "--audience", "v3", "--derivation-key", "@" + F("kdk.key"), "--key-out", F("v3.key"));
        SqliteConnection.ClearAllPools();
        using IAuthorizationStore store = AuthorizationStores.Open(db);
        Assert.Single(store.ListResourceServers());
    }
}

/// <summary>The suite on SQLite.</summary>
public sealed class DtlsCommandTestsOnSqlite() : DtlsCommandTests(StoreKind.Sqlite);

/// <summary>The suite on PostgreSQL.</summary>
public sealed class DtlsCommandTestsOnPostgres() : DtlsCommandTests(StoreKind.Postgres);
