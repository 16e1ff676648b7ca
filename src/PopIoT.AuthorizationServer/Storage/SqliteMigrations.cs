namespace PopIoT.AuthorizationServer.Storage;

/// <summary>
/// The SQLite schema as ordered migrations: migration i takes the database from version i to i + 1, and the version
/// is kept in the schema_version table. Never edit a released migration; add a new one.
/// </summary>
internal static class SqliteMigrations
{
    /// <summary>The migrations, in order. Version = index + 1.</summary>
    public static readonly string[] All =
    [
        // 1: registries, policy and issued tokens.
        """
        CREATE TABLE clients (
            client_id TEXT PRIMARY KEY,
            as_sender_id BLOB NOT NULL,
            peer_sender_id BLOB NOT NULL UNIQUE,
            master_secret BLOB NOT NULL,
            master_salt BLOB NOT NULL,
            alg INTEGER NOT NULL,
            created_at INTEGER NOT NULL);
        CREATE TABLE resource_servers (
            audience TEXT PRIMARY KEY,
            cose_key BLOB NOT NULL,
            protection TEXT NOT NULL,
            profiles TEXT NOT NULL,
            has_clock INTEGER NOT NULL,
            max_token_bytes INTEGER NOT NULL,
            as_sender_id BLOB,
            peer_sender_id BLOB UNIQUE,
            master_secret BLOB,
            master_salt BLOB,
            alg INTEGER,
            created_at INTEGER NOT NULL);
        CREATE TABLE grants (
            client_id TEXT NOT NULL REFERENCES clients(client_id),
            audience TEXT NOT NULL REFERENCES resource_servers(audience),
            scope BLOB NOT NULL,
            PRIMARY KEY (client_id, audience, scope));
        CREATE TABLE tokens (
            cti BLOB PRIMARY KEY,
            token_hash BLOB NOT NULL UNIQUE,
            client_id TEXT NOT NULL,
            audience TEXT NOT NULL,
            scope BLOB NOT NULL,
            profile INTEGER NOT NULL,
            issued_at INTEGER NOT NULL,
            exp INTEGER,
            exi INTEGER,
            expires_at INTEGER NOT NULL,
            cnf BLOB NOT NULL,
            revoked INTEGER NOT NULL DEFAULT 0);
        """,

        // 2: the AS's OSCORE Sender Sequence Numbers survive restarts (RFC 8613 Appendix B.1.1); tokens by client.
        """
        CREATE TABLE oscore_sequence (
            peer TEXT PRIMARY KEY,
            next_unused INTEGER NOT NULL);
        CREATE INDEX tokens_by_client ON tokens(client_id, audience);
        """,

        // 3: a client's ID Context after re-keying with the AS, and whether it may (RFC 8613 Appendix B.2).
        """
        ALTER TABLE clients ADD COLUMN id_context BLOB;
        ALTER TABLE clients ADD COLUMN rekeying INTEGER NOT NULL DEFAULT 1;
        """,

        // 4: the exi sequence of each RS in its own table (RFC 9200 §5.10.3), so purged tokens take no number with
        // them (filled from the stored tokens by FillExiSequences); the cti prefixes of AS processes; the registry's
        // version, bumped by every registry change; tokens by audience, by expiry and in issue order.
        """
        CREATE TABLE exi_sequence (
            audience TEXT PRIMARY KEY,
            last INTEGER NOT NULL);
        CREATE TABLE cti_prefix (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            last INTEGER NOT NULL);
        INSERT INTO cti_prefix VALUES (1, 0);
        CREATE TABLE registry_version (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL);
        INSERT INTO registry_version VALUES (1, 1);
        CREATE INDEX tokens_by_audience ON tokens(audience);
        CREATE INDEX tokens_by_expiry ON tokens(expires_at);
        CREATE INDEX tokens_by_issue ON tokens(issued_at);
        """,
    ];

    /// <summary>The version whose migration creates the exi_sequence table, filled from the tokens.</summary>
    public const int ExiSequenceVersion = 4;

    /// <summary>The schema version this code writes.</summary>
    public static int LatestVersion => All.Length;
}
