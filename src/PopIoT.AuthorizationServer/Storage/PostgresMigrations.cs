namespace PopIoT.AuthorizationServer.Storage;

/// <summary>
/// The PostgreSQL schema as ordered migrations, as for SQLite (<see cref="SqliteMigrations"/>): migration i takes the
/// database from version i to i + 1, recorded in schema_version. Never edit a released migration; add a new one.
/// Version 1 is the SQLite schema 4 in PostgreSQL's types, so `popiot as migrate` maps table to table.
/// </summary>
internal static class PostgresMigrations
{
    /// <summary>The migrations, in order. Version = index + 1.</summary>
    public static readonly string[] All =
    [
        // 1: registries, policy, issued tokens, the AS's OSCORE Sender Sequence Numbers (RFC 8613 Appendix B.1.1), the
        // exi sequence of each RS (RFC 9200 §5.10.3), the cti prefixes of AS instances and the registry's version.
        """
        CREATE TABLE clients (
            client_id text PRIMARY KEY,
            as_sender_id bytea NOT NULL,
            peer_sender_id bytea NOT NULL UNIQUE,
            master_secret bytea NOT NULL,
            master_salt bytea NOT NULL,
            alg integer NOT NULL,
            created_at bigint NOT NULL,
            id_context bytea,
            rekeying boolean NOT NULL DEFAULT true);
        CREATE TABLE resource_servers (
            audience text PRIMARY KEY,
            cose_key bytea NOT NULL,
            protection text NOT NULL,
            profiles text NOT NULL,
            has_clock boolean NOT NULL,
            max_token_bytes integer NOT NULL,
            as_sender_id bytea,
            peer_sender_id bytea UNIQUE,
            master_secret bytea,
            master_salt bytea,
            alg integer,
            created_at bigint NOT NULL);
        CREATE TABLE grants (
            client_id text NOT NULL REFERENCES clients(client_id),
            audience text NOT NULL REFERENCES resource_servers(audience),
            scope bytea NOT NULL,
            added bigint GENERATED ALWAYS AS IDENTITY,
            PRIMARY KEY (client_id, audience, scope));
        CREATE TABLE tokens (
            cti bytea PRIMARY KEY,
            token_hash bytea NOT NULL UNIQUE,
            client_id text NOT NULL,
            audience text NOT NULL,
            scope bytea NOT NULL,
            profile integer NOT NULL,
            issued_at bigint NOT NULL,
            exp bigint,
            exi bigint,
            expires_at bigint NOT NULL,
            cnf bytea NOT NULL,
            revoked boolean NOT NULL DEFAULT false,
            added bigint GENERATED ALWAYS AS IDENTITY);
        CREATE INDEX tokens_by_client ON tokens(client_id, audience);
        CREATE INDEX tokens_by_audience ON tokens(audience);
        CREATE INDEX tokens_by_expiry ON tokens(expires_at);
        CREATE INDEX tokens_by_issue ON tokens(issued_at, added);
        CREATE TABLE oscore_sequence (
            peer text PRIMARY KEY,
            next_unused bigint NOT NULL);
        CREATE TABLE exi_sequence (
            audience text PRIMARY KEY,
            last bigint NOT NULL);
        CREATE TABLE cti_prefix (
            id integer PRIMARY KEY CHECK (id = 1),
            last bigint NOT NULL);
        INSERT INTO cti_prefix VALUES (1, 0);
        CREATE TABLE registry_version (
            id integer PRIMARY KEY CHECK (id = 1),
            version bigint NOT NULL);
        INSERT INTO registry_version VALUES (1, 1);
        """,
    ];

    /// <summary>The schema version this code writes.</summary>
    public static int LatestVersion => All.Length;
}
