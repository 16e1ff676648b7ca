using System.Text.Json;
using System.Text.Json.Nodes;
using PopIoT.Core.Crypto;
using PopIoT.IO;

namespace PopIoT.Oscore;

/// <summary>
/// A fresh pair of matching OSCORE contexts, one for a client and one for its server (RFC 8613 §3.3): both hold the
/// same Master Secret, Master Salt, ID Context and AEAD algorithm, and each one's Sender ID is the other's Recipient
/// ID. Written as two context files (docs/oscore.md, "Context files"), each a secret file with its Sender Sequence
/// Number file at 0: a new Master Secret is a new context (§3.2.1, §7.2.1). Dispose erases the secret.
/// </summary>
public sealed class OscoreContextPair : IDisposable
{
    /// <summary>Bytes of Master Secret drawn: twice the 16-byte key of the AES-CCM algorithms (RFC 8613 §3.1, §12.3).</summary>
    public const int MasterSecretLength = 32;

    /// <summary>Bytes of Master Salt drawn (RFC 8613 §3.1: the salt need not be secret; Appendix C uses 8).</summary>
    public const int MasterSaltLength = 8;

    private OscoreContextPair(byte[] clientId, byte[] serverId, byte[] masterSecret, byte[] masterSalt, byte[]? idContext, int algorithm)
    {
        ClientId = clientId;
        ServerId = serverId;
        MasterSecret = masterSecret;
        MasterSalt = masterSalt;
        IdContext = idContext;
        Algorithm = algorithm;
    }

    /// <summary>The client's Sender ID (the server's Recipient ID).</summary>
    public byte[] ClientId { get; }

    /// <summary>The server's Sender ID (the client's Recipient ID).</summary>
    public byte[] ServerId { get; }

    /// <summary>The shared Master Secret.</summary>
    public byte[] MasterSecret { get; }

    /// <summary>The shared Master Salt.</summary>
    public byte[] MasterSalt { get; }

    /// <summary>The shared ID Context, or null for none.</summary>
    public byte[]? IdContext { get; }

    /// <summary>The COSE algorithm of the AEAD (10, 11, 30 or 31).</summary>
    public int Algorithm { get; }

    /// <summary>Draws a new Master Secret and Master Salt from <paramref name="random"/> for the given identifiers.</summary>
    /// <param name="random">The CSPRNG.</param>
    /// <param name="clientId">The client's Sender ID (0..7 bytes).</param>
    /// <param name="serverId">The server's Sender ID (0..7 bytes, not the client's).</param>
    /// <param name="idContext">The ID Context, or null.</param>
    /// <param name="algorithm">The AEAD algorithm.</param>
    /// <returns>The pair; both files check their fields when written.</returns>
    public static OscoreContextPair Create(IRandomSource random, byte[] clientId, byte[] serverId, byte[]? idContext, int algorithm)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(clientId);
        ArgumentNullException.ThrowIfNull(serverId);
        byte[] secret = new byte[MasterSecretLength];
        byte[] salt = new byte[MasterSaltLength];
        random.GetBytes(secret, 0, secret.Length);
        random.GetBytes(salt, 0, salt.Length);
        return new OscoreContextPair(clientId, serverId, secret, salt, idContext, algorithm);
    }

    /// <summary>
    /// Writes the client's and the server's context files, owner-only, each with its <c>.seq</c> file at 0. Both targets
    /// are checked first, so an existing file refused leaves both untouched; each context's lock (<c>CTX.json.lock</c>)
    /// is held while it is replaced, so a context in use by another process is not replaced under it.
    /// </summary>
    /// <param name="clientPath">The client's file.</param>
    /// <param name="serverPath">The server's file.</param>
    /// <param name="overwrite">Whether existing files may be replaced.</param>
    /// <exception cref="TargetExistsException">A file exists and <paramref name="overwrite"/> is false; nothing was written.</exception>
    /// <exception cref="FileLockedException">A context is in use; nothing was written.</exception>
    public void Write(string clientPath, string serverPath, bool overwrite)
    {
        SecretFile.CheckWritable(clientPath, overwrite);
        SecretFile.CheckWritable(serverPath, overwrite);
        // Fails before anything is written when a field is out of range: the same parser that reads the files.
        byte[] client = ToJson(false), server = ToJson(true);
        try
        {
            OscoreContextFile.Parse(client, clientPath);
            OscoreContextFile.Parse(server, serverPath);
            using ExclusiveFileLock clientLock = ExclusiveFileLock.Acquire(clientPath + ".lock", "popiot oscore new");
            using ExclusiveFileLock serverLock = ExclusiveFileLock.Acquire(serverPath + ".lock", "popiot oscore new");
            WriteOne(clientPath, client, overwrite);
            WriteOne(serverPath, server, overwrite);
        }
        finally
        {
            Array.Clear(client);
            Array.Clear(server);
        }
    }

    /// <summary>The context file of one side (docs/oscore.md, "Context files"), UTF-8 JSON.</summary>
    /// <param name="server">True for the server's file, false for the client's.</param>
    /// <returns>The JSON; it holds the Master Secret.</returns>
    public byte[] ToJson(bool server)
    {
        var json = new JsonObject
        {
            ["sender_id"] = Convert.ToHexStringLower(server ? ServerId : ClientId),
            ["recipient_id"] = Convert.ToHexStringLower(server ? ClientId : ServerId),
            ["master_secret"] = Convert.ToHexStringLower(MasterSecret),
            ["master_salt"] = Convert.ToHexStringLower(MasterSalt),
            ["id_context"] = IdContext == null ? null : Convert.ToHexStringLower(IdContext),
            ["alg"] = Algorithm,
            ["replay_window"] = 32,
        };
        return JsonSerializer.SerializeToUtf8Bytes(json, new JsonSerializerOptions { WriteIndented = true });
    }

    /// <inheritdoc/>
    public void Dispose() => Array.Clear(MasterSecret);

    private static void WriteOne(string path, byte[] json, bool overwrite)
    {
        SecretFile.Write(path, json, overwrite);
        // RFC 8613 Appendix B.1.1: the new context's numbers start at 0, and a missing .seq would be refused later.
        DurableFile.Write(path + ".seq", "0\n"u8, false, true);
    }
}
