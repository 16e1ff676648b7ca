using System.Globalization;
using System.Text.Json;
using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;
using PopIoT.Crypto;

namespace PopIoT.Oscore;

/// <summary>
/// An OSCORE security context as a JSON file (docs/oscore.md, "Context files"): the inputs of RFC 8613 §3.2 in hex,
/// the AEAD algorithm and the replay window size. Example:
/// <c>{"sender_id":"01","recipient_id":"","master_secret":"0102030405060708090a0b0c0d0e0f10","master_salt":"9e7ca92223786340","id_context":null,"alg":10,"replay_window":32}</c>.
/// </summary>
public sealed class OscoreContextFile
{
    /// <summary>The largest file read (a context is well under 1 KiB).</summary>
    public const int MaxFileBytes = 64 * 1024;

    private const string IdHint = "hex string; \"\" for an empty ID";
    private const string IdNote = " (RFC 8613 §3.3)";

    private static readonly string[] Known = ["sender_id", "recipient_id", "master_secret", "master_salt", "id_context", "alg", "replay_window", "send_kid_context"];

    private OscoreContextFile(byte[] senderId, byte[] recipientId, byte[] masterSecret, byte[] masterSalt, byte[]? idContext, int algorithm, int replayWindow, bool sendKidContext)
    {
        SendKidContext = sendKidContext;
        SenderId = senderId;
        RecipientId = recipientId;
        MasterSecret = masterSecret;
        MasterSalt = masterSalt;
        IdContext = idContext;
        Algorithm = algorithm;
        ReplayWindow = replayWindow;
    }

    /// <summary>The Sender ID (RFC 8613 §3.1), at most 7 bytes.</summary>
    public byte[] SenderId { get; }

    /// <summary>The Recipient ID, at most 7 bytes, different from the Sender ID.</summary>
    public byte[] RecipientId { get; }

    /// <summary>The Master Secret.</summary>
    public byte[] MasterSecret { get; }

    /// <summary>The Master Salt (empty: the default of RFC 8613 §3.1).</summary>
    public byte[] MasterSalt { get; }

    /// <summary>The ID Context, or null when absent.</summary>
    public byte[]? IdContext { get; }

    /// <summary>
    /// Whether a client's requests carry the ID Context as 'kid context' (RFC 8613 §6.1); true by default, so a server
    /// that holds several contexts with the same Recipient ID finds the right one (§5.1, §8.2 step 2). Without an ID
    /// Context there is nothing to send.
    /// </summary>
    public bool SendKidContext { get; }

    /// <summary>The AEAD algorithm: 10 (AES-CCM-16-64-128), 11, 30, 31, or on the desktop 1 (A128GCM), 3 (A256GCM), 24 (ChaCha20/Poly1305).</summary>
    public int Algorithm { get; }

    /// <summary>The replay window in bits: 32..256, a multiple of 32.</summary>
    public int ReplayWindow { get; }

    /// <summary>Reads and checks a context file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The context inputs.</returns>
    /// <exception cref="FormatException">The file cannot be read or a field is missing or wrong; the message names it.</exception>
    public static OscoreContextFile Load(string path) => Parse(JsonFile.ReadBounded(path, MaxFileBytes, "OSCORE context file"), path);

    /// <summary>Parses a context from JSON text.</summary>
    /// <param name="json">The JSON (UTF-8).</param>
    /// <param name="name">The file name used in error messages.</param>
    /// <returns>The context inputs.</returns>
    /// <exception cref="FormatException">A field is missing or wrong; the message names it.</exception>
    public static OscoreContextFile Parse(ReadOnlySpan<byte> json, string name = "context")
    {
        string where = "OSCORE context file '" + name + "': ";
        using (JsonDocument doc = JsonFile.ParseObject(json, where, 4, Known))
        {
            JsonElement root = doc.RootElement;
            byte[] sender = JsonFile.Hex(root, "sender_id", where, true, 7, IdHint, IdNote)!;
            byte[] recipient = JsonFile.Hex(root, "recipient_id", where, true, 7, IdHint, IdNote)!;
            byte[] secret = JsonFile.Hex(root, "master_secret", where, true, 256, IdHint, string.Empty)!;
            if (secret.Length == 0)
            {
                throw new FormatException(where + "\"master_secret\" must not be empty");
            }

            byte[] salt = JsonFile.Hex(root, "master_salt", where, false, 256, IdHint, string.Empty) ?? [];
            byte[]? idContext = JsonFile.Hex(root, "id_context", where, false, SecurityContext.MaxIdContextLength, IdHint, string.Empty);
            if (sender.AsSpan().SequenceEqual(recipient))
            {
                throw new FormatException(where + "\"sender_id\" and \"recipient_id\" must differ (RFC 8613 §3.3)");
            }

            int alg = ParseAlgorithm(root, where);
            int window = ParseWindow(root, where);
            return new OscoreContextFile(sender, recipient, secret, salt, idContext, alg, window, ParseSendKidContext(root, where));
        }
    }

    /// <summary>
    /// Derives the security context (RFC 8613 §3.2). A server started anew with keys it used before should pass
    /// <paramref name="replayWindowUnknown"/> true so the first request must prove freshness (Appendix B.1.2).
    /// </summary>
    /// <param name="provider">The crypto provider, or null for <see cref="PlatformCryptoProvider"/>.</param>
    /// <param name="replayWindowUnknown">Whether the replay window is unknown (after a reboot).</param>
    /// <param name="sequenceNumberStore">Where the Sender Sequence Number is persisted (Appendix B.1.1), or null.</param>
    /// <returns>A new context; dispose it when done.</returns>
    public SecurityContext CreateContext(ICryptoProvider? provider = null, bool replayWindowUnknown = false, ISequenceNumberStore? sequenceNumberStore = null) =>
        new(provider ?? new PlatformCryptoProvider(), MasterSecret, MasterSalt, SenderId, RecipientId, IdContext!,
            new SecurityContextOptions { Algorithm = Algorithm, ReplayWindowSize = ReplayWindow, ReplayWindowUnknown = replayWindowUnknown, SequenceNumberStore = sequenceNumberStore! });

    private static int ParseAlgorithm(JsonElement root, string where)
    {
        if (!root.TryGetProperty("alg", out JsonElement e) || e.ValueKind == JsonValueKind.Null)
        {
            return SecurityContext.DefaultAlgorithm;
        }

        int alg = e.ValueKind switch
        {
            JsonValueKind.Number when e.TryGetInt32(out int n) => n,
            JsonValueKind.String => e.GetString()!.ToUpperInvariant() switch
            {
                "AES-CCM-16-64-128" or "10" => 10,
                "AES-CCM-16-64-256" or "11" => 11,
                "AES-CCM-16-128-128" or "30" => 30,
                "AES-CCM-16-128-256" or "31" => 31,
                "A128GCM" or "1" => 1,
                "A256GCM" or "3" => 3,
                "CHACHA20/POLY1305" or "24" => 24,
                _ => -1,
            },
            _ => -1,
        };

        // RFC 9053 §4.2 (AES-CCM, every platform and the boards), §4.1 and §4.3 (AES-GCM, ChaCha20/Poly1305: on the
        // desktop, where the platform has them; CreateContext says when it does not).
        if (alg is not (10 or 11 or 30 or 31 or 1 or 3 or 24))
        {
            throw new FormatException(where + "\"alg\" " + e.GetRawText() + " is not supported; use 10 (AES-CCM-16-64-128), 11 (AES-CCM-16-64-256), 30 (AES-CCM-16-128-128), 31 (AES-CCM-16-128-256), 1 (A128GCM), 3 (A256GCM) or 24 (ChaCha20/Poly1305)");
        }

        return alg;
    }

    private static bool ParseSendKidContext(JsonElement root, string where)
    {
        if (!root.TryGetProperty("send_kid_context", out JsonElement e) || e.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        return e.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new FormatException(where + "\"send_kid_context\" must be true or false, not " + e.GetRawText()),
        };
    }

    private static int ParseWindow(JsonElement root, string where)
    {
        if (!root.TryGetProperty("replay_window", out JsonElement e) || e.ValueKind == JsonValueKind.Null)
        {
            return PopIoT.Core.Oscore.ReplayWindow.DefaultSize;
        }

        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int n) || n < 32 || n > PopIoT.Core.Oscore.ReplayWindow.MaxSize || n % 32 != 0)
        {
            throw new FormatException(where + "\"replay_window\" " + e.GetRawText() + " must be a multiple of 32 from 32 to " + PopIoT.Core.Oscore.ReplayWindow.MaxSize.ToString(CultureInfo.InvariantCulture));
        }

        return n;
    }
}
