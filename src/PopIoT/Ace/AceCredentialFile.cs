using System.Text.Json;
using System.Text.Json.Nodes;
using PopIoT.IO;
using PopIoT.Oscore;

namespace PopIoT.Ace;

/// <summary>
/// A peer's credential for the AS as a JSON file (ID.json for a client, RS.json for a resource server): its name, the
/// AS URI and, under "oscore", its OSCORE context in the context-file format of docs/oscore.md (so
/// <see cref="OscoreContextFile.Parse"/> reads it). Secret: written with owner-only permissions.
/// <c>{"client_id":"gw1","as_uri":"coap://127.0.0.1:5690","oscore":{"sender_id":"...","recipient_id":"","master_secret":"...","master_salt":"...","alg":10,"replay_window":32}}</c>.
/// </summary>
public sealed class AceCredentialFile
{
    private AceCredentialFile(string? clientId, string? audience, Uri asUri, OscoreContextFile oscore)
    {
        ClientId = clientId;
        Audience = audience;
        AsUri = asUri;
        Oscore = oscore;
    }

    /// <summary>The client_id, or null in an RS credential.</summary>
    public string? ClientId { get; }

    /// <summary>The audience, or null in a client credential.</summary>
    public string? Audience { get; }

    /// <summary>The AS, e.g. coap://127.0.0.1:5690 (the token endpoint is /token).</summary>
    public Uri AsUri { get; }

    /// <summary>The peer's side of the OSCORE context it shares with the AS.</summary>
    public OscoreContextFile Oscore { get; }

    /// <summary>Writes a credential file for a peer: its side of the OSCORE context it shares with the AS (RFC 9203 §5).</summary>
    /// <param name="path">The file, created owner-only (<see cref="SecretFile"/>), with PATH.seq holding 0.</param>
    /// <param name="isResourceServer">True for an RS file ("audience"), false for a client file ("client_id").</param>
    /// <param name="name">The client_id or audience.</param>
    /// <param name="asUri">The AS URI.</param>
    /// <param name="peerSenderId">The peer's Sender ID (the AS's Recipient ID for it).</param>
    /// <param name="asSenderId">The AS's Sender ID (the peer's Recipient ID).</param>
    /// <param name="masterSecret">The Master Secret (RFC 8613 §3.1).</param>
    /// <param name="masterSalt">The Master Salt.</param>
    /// <param name="algorithm">The AEAD algorithm (COSE number).</param>
    /// <param name="overwrite">Replace an existing file (and its .seq); when false an existing file is an error and stays as it was.</param>
    /// <exception cref="TargetExistsException">The file exists and <paramref name="overwrite"/> is false.</exception>
    public static void Write(string path, bool isResourceServer, string name, Uri asUri, byte[] peerSenderId, byte[] asSenderId, byte[] masterSecret, byte[] masterSalt, int algorithm, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(asUri);
        ArgumentNullException.ThrowIfNull(peerSenderId);
        ArgumentNullException.ThrowIfNull(asSenderId);
        ArgumentNullException.ThrowIfNull(masterSecret);
        ArgumentNullException.ThrowIfNull(masterSalt);
        var oscore = new JsonObject
        {
            ["sender_id"] = Convert.ToHexStringLower(peerSenderId),
            ["recipient_id"] = Convert.ToHexStringLower(asSenderId),
            ["master_secret"] = Convert.ToHexStringLower(masterSecret),
            ["master_salt"] = Convert.ToHexStringLower(masterSalt),
            ["alg"] = algorithm,
            ["replay_window"] = 32,
        };
        var root = new JsonObject
        {
            [isResourceServer ? "audience" : "client_id"] = name,
            ["as_uri"] = asUri.ToString().TrimEnd('/'),
            ["oscore"] = oscore,
        };
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(root, new JsonSerializerOptions { WriteIndented = true });
        try
        {
            SecretFile.Write(path, json, overwrite);
        }
        finally
        {
            Array.Clear(json);
        }

        // A new Master Secret is a new context: its Sender Sequence Numbers start at 0 (RFC 8613 §3.2.1, §7.2.1). The
        // .seq file is written with it so a later run finds it (a missing one is an error, Appendix B.1.1).
        DurableFile.Write(path + ".seq", "0\n"u8, false, true);
    }

    /// <summary>
    /// Rewrites the file with a new ID Context for its OSCORE context (after re-keying with the AS, RFC 8613 Appendix
    /// B.2), atomically and owner-only; the rest of the file is kept.
    /// </summary>
    /// <param name="path">The credential file.</param>
    /// <param name="idContext">The new ID Context.</param>
    /// <exception cref="FormatException">The file cannot be read as a credential file.</exception>
    public static void WriteIdContext(string path, byte[] idContext)
    {
        ArgumentNullException.ThrowIfNull(idContext);
        Load(path);
        JsonObject root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        root["oscore"]!["id_context"] = Convert.ToHexStringLower(idContext);
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(root, new JsonSerializerOptions { WriteIndented = true });
        try
        {
            SecretFile.Write(path, json, true);
        }
        finally
        {
            Array.Clear(json);
        }
    }

    /// <summary>Reads a credential file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The credential.</returns>
    /// <exception cref="FormatException">Unreadable or a field is wrong; the message names it.</exception>
    public static AceCredentialFile Load(string path)
    {
        string where = "credential file '" + path + "': ";
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new FormatException(where + e.Message);
        }

        if (root is not JsonObject o || o["oscore"] is not JsonObject oscore || o["as_uri"]?.GetValueKind() != JsonValueKind.String)
        {
            throw new FormatException(where + "expected {\"client_id\" or \"audience\", \"as_uri\", \"oscore\": {...}}");
        }

        string? clientId = o["client_id"]?.GetValueKind() == JsonValueKind.String ? o["client_id"]!.GetValue<string>() : null;
        string? audience = o["audience"]?.GetValueKind() == JsonValueKind.String ? o["audience"]!.GetValue<string>() : null;
        if ((clientId == null) == (audience == null))
        {
            throw new FormatException(where + "needs exactly one of \"client_id\" and \"audience\"");
        }

        if (!Uri.TryCreate(o["as_uri"]!.GetValue<string>(), UriKind.Absolute, out Uri? uri) || uri.Scheme != "coap")
        {
            throw new FormatException(where + "\"as_uri\" must be a coap:// URI");
        }

        return new AceCredentialFile(clientId, audience, uri, OscoreContextFile.Parse(System.Text.Encoding.UTF8.GetBytes(oscore.ToJsonString()), path + " (oscore)"));
    }
}
