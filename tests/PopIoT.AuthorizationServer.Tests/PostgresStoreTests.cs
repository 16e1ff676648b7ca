using Npgsql;
using PopIoT.AuthorizationServer.Storage;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// What only the PostgreSQL store has: the --db forms, the causes an operator is told (unreachable, refused login,
/// missing database, not initialised, newer schema), and migrations that several instances may start at once.
/// </summary>
public sealed class PostgresStoreTests : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
    }

    private PostgresDatabase NewDatabase()
    {
        PostgresDatabase db = PostgresServer.Require().CreateDatabase();
        _owned.Add(db);
        return db;
    }

    [Theory]
    [InlineData("postgres://as@db.example:6543/popiot", "db.example", 6543, "as", null, "popiot")]
    [InlineData("postgresql://as:s%3Acret@127.0.0.1/fleet?sslmode=disable", "127.0.0.1", 5432, "as", "s:cret", "fleet")]
    [InlineData("postgres://as@[::1]:5433/a%20b", "::1", 5433, "as", null, "a b")]
    [InlineData("postgres:///popiot?host=/run/postgresql&user=as", "/run/postgresql", 5432, "as", null, "popiot")]
    [InlineData("Host=db.example;Port=6000;Username=as;Database=popiot", "db.example", 6000, "as", null, "popiot")]
    public void Uris_and_connection_strings_name_the_same_settings(string db, string host, int port, string user, string? password, string database)
    {
        Assert.True(AuthorizationStores.IsPostgres(db));
        NpgsqlConnectionStringBuilder b = PostgresConnectionString.Parse(db);
        Assert.Equal(host, b.Host);
        Assert.Equal(port, b.Port);
        Assert.Equal(user, b.Username);
        Assert.Equal(password, b.Password);
        Assert.Equal(database, b.Database);
        Assert.DoesNotContain("cret", AuthorizationStores.Display(db), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("as.db")]
    [InlineData("/var/lib/popiot/as.db")]
    [InlineData("./data;host=x.db")]
    [InlineData(":memory:")]
    public void A_file_path_stays_sqlite(string db) => Assert.False(AuthorizationStores.IsPostgres(db));

    [Theory]
    [InlineData("postgres://as@host", "names no database")]
    [InlineData("postgres://as@host:5432/db?nosuchkey=1", "is not a PostgreSQL URI")]
    [InlineData("postgres:///db", "names no host")]
    [InlineData("postgres://as:pw@:x/db", "is not a PostgreSQL URI")]
    [InlineData("Host=h;Nonsense=1", "is not a PostgreSQL URI")]
    public void A_bad_value_is_a_clear_error_without_the_password(string db, string expected)
    {
        var e = Assert.Throws<AuthorizationStoreException>(() => PostgresConnectionString.Parse(db));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(":pw", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreachable_server_is_named()
    {
        string uri = PostgresServer.UnreachableUri() + "?timeout=5";
        var e = Assert.Throws<AuthorizationStoreException>(() => AuthorizationStores.Open(uri));
        Assert.StartsWith("cannot reach the PostgreSQL server of postgres://popiot@127.0.0.1:", e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_refused_login_a_missing_database_and_a_database_without_the_schema_are_named()
    {
        PostgresDatabase db = NewDatabase();
        var settings = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = "nobody_" + Guid.NewGuid().ToString("n")[..8] };
        var refused = Assert.Throws<AuthorizationStoreException>(() => AuthorizationStores.Open(settings.ConnectionString));
        Assert.Contains("refused the login", refused.Message, StringComparison.Ordinal);

        settings = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Database = "missing_" + Guid.NewGuid().ToString("n")[..8] };
        var missing = Assert.Throws<AuthorizationStoreException>(() => AuthorizationStores.Open(settings.ConnectionString));
        Assert.Contains("does not exist on the server; create it first (createdb)", missing.Message, StringComparison.Ordinal);

        var empty = Assert.Throws<AuthorizationStoreException>(() => AuthorizationStores.Open(db.Url));
        Assert.Contains("holds no AS schema; initialise it with `popiot as init --db postgres://", empty.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Init_creates_the_latest_schema_once_and_a_newer_schema_is_refused()
    {
        PostgresDatabase db = NewDatabase();
        using (var store = PostgresAuthorizationStore.Create(db.Url))
        {
            Assert.Equal(PostgresAuthorizationStore.LatestSchemaVersion, store.SchemaVersion);
        }

        Assert.Contains("is already initialised", Assert.Throws<AuthorizationStoreException>(() => AuthorizationStores.Create(db.Url)).Message, StringComparison.Ordinal);
        using (var c = new NpgsqlConnection(db.ConnectionString))
        {
            c.Open();
            using var cmd = new NpgsqlCommand("INSERT INTO schema_version VALUES (99)", c);
            cmd.ExecuteNonQuery();
        }

        var e = Assert.Throws<AuthorizationStoreException>(() => AuthorizationStores.Open(db.Url));
        Assert.Contains("has schema version 99, newer than this popiot knows (" + PostgresAuthorizationStore.LatestSchemaVersion + "); use a newer popiot", e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Instances_initialising_one_database_at_once_create_the_schema_once()
    {
        PostgresDatabase db = NewDatabase();

        // Eight `as init` at once: the advisory lock lets one migrate; the others then find the schema and refuse.
        Task<IAuthorizationStore>[] inits = Enumerable.Range(0, 8).Select(_ => Task.Run(() => AuthorizationStores.Create(db.Url))).ToArray();
        try
        {
            await Task.WhenAll(inits);
        }
        catch (AuthorizationStoreException)
        {
        }

        Assert.Equal(1, inits.Count(t => t.IsCompletedSuccessfully));
        Assert.All(inits.Where(t => !t.IsCompletedSuccessfully), t => Assert.Contains("is already initialised", t.Exception!.InnerException!.Message, StringComparison.Ordinal));
        inits.Single(t => t.IsCompletedSuccessfully).Result.Dispose();
        using IAuthorizationStore again = AuthorizationStores.Open(db.Url);
        using var c = new NpgsqlConnection(db.ConnectionString);
        c.Open();
        using var cmd = new NpgsqlCommand("SELECT count(*) FROM schema_version", c);
        Assert.Equal((long)PostgresAuthorizationStore.LatestSchemaVersion, (long)cmd.ExecuteScalar()!);
    }
}
