using System.Globalization;
using System.Text.Json;
using PopIoT.Core.Ace;
using PopIoT.Core.Oscore;
using PopIoT.IO;

namespace PopIoT.Ace;

/// <summary>
/// TOKEN.json: an access token and the client's key material as an AS returns them (RFC 9200 §5.8.2, RFC 9203 §3.2),
/// in JSON with byte strings in hex (docs/device.md, "TOKEN.json"). Example:
/// <c>{"access_token":"d08343a1010aa1054d...","token_type":"PoP","ace_profile":"coap_oscore","audience":"coap://rs1",
/// "scope":[["/temp",1]],"protection":"encrypt0","expires_in":3600,"exp":1790000000,
/// "cnf":{"osc":{"id":"a1b2c3d4e5f60718","ms":"f9af838368e353e78888e1426bd94e6f","alg":10}}}</c>.
/// The file holds a Master Secret (for coap_dtls a PSK, <see cref="Psk"/>): keep it like a key.
/// </summary>
public sealed partial class AccessTokenFile
{
    /// <summary>The largest file read (a token is well under 16 KiB).</summary>
    public const int MaxFileBytes = 64 * 1024;

    private static readonly string[] Known = ["access_token", "token_type", "ace_profile", "audience", "scope", "protection", "expires_in", "exp", "exi", "cnf", "rs_cnf"];
    private static readonly string[] KnownOsc = ["id", "version", "ms", "hkdf", "alg", "salt", "contextId"];

    /// <summary>Creates the contents of a TOKEN.json.</summary>
    /// <param name="accessToken">The token as sent to /authz-info.</param>
    /// <param name="masterSecret">The OSCORE Master Secret (ms).</param>
    /// <param name="inputMaterialId">The OSCORE_Input_Material id.</param>
    public AccessTokenFile(byte[] accessToken, byte[] masterSecret, byte[] inputMaterialId)
    {
        AccessToken = accessToken ?? throw new ArgumentNullException(nameof(accessToken));
        MasterSecret = masterSecret ?? throw new ArgumentNullException(nameof(masterSecret));
        InputMaterialId = inputMaterialId ?? throw new ArgumentNullException(nameof(inputMaterialId));
    }

    /// <summary>access_token (RFC 9200 §5.8.2): the CWT, posted as is to /authz-info.</summary>
    public byte[] AccessToken { get; }

    /// <summary>The token's cti as minted (not written to TOKEN.json), or null.</summary>
    public byte[]? Cti { get; init; }

    /// <summary>ace_profile (RFC 9200 §5.8.4.3); <see cref="AceProfile.CoapOscore"/> by default.</summary>
    public int Profile { get; init; } = AceProfile.CoapOscore;

    /// <summary>The audience the token is for (informational: the RS checks aud), or null.</summary>
    public string? Audience { get; init; }

    /// <summary>The scope granted, or null when not recorded.</summary>
    public AccessScope? Scope { get; init; }

    /// <summary>How the token is protected, or null when not recorded.</summary>
    public TokenProtection? Protection { get; init; }

    /// <summary>expires_in (RFC 9200 §5.8.2): seconds of validity from issue, or null.</summary>
    public long? ExpiresIn { get; init; }

    /// <summary>The token's exp (Unix seconds), or null.</summary>
    public long? Expiration { get; init; }

    /// <summary>The token's exi (RFC 9200 §5.10.3: seconds from the RS's receipt), or null.</summary>
    public long? Exi { get; init; }

    /// <summary>OSCORE_Input_Material id (RFC 9203 §3.2.1).</summary>
    public byte[] InputMaterialId { get; }

    /// <summary>OSCORE_Input_Material ms: the Master Secret (RFC 9203 §3.2.1).</summary>
    public byte[] MasterSecret { get; }

    /// <summary>OSCORE_Input_Material salt, or null (RFC 9203 §4.3: the input salt is then empty).</summary>
    public byte[]? Salt { get; init; }

    /// <summary>OSCORE_Input_Material contextId, or null.</summary>
    public byte[]? ContextId { get; init; }

    /// <summary>OSCORE_Input_Material alg: the AEAD (RFC 8613 §3.2 default 10, AES-CCM-16-64-128).</summary>
    public int Algorithm { get; init; } = SecurityContext.DefaultAlgorithm;

    /// <summary>OSCORE_Input_Material hkdf as a COSE algorithm number, or null for the default HKDF SHA-256.</summary>
    public int? Hkdf { get; init; }

    /// <summary>Reads and checks a TOKEN.json.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The contents.</returns>
    /// <exception cref="FormatException">The file cannot be read or a field is missing or wrong; the message names it.</exception>
    public static AccessTokenFile Load(string path) => Parse(JsonFile.ReadBounded(path, MaxFileBytes, "token file"), path);

    /// <summary>Parses a TOKEN.json.</summary>
    /// <param name="json">The JSON (UTF-8).</param>
    /// <param name="name">The file name used in error messages.</param>
    /// <returns>The contents.</returns>
    /// <exception cref="FormatException">A field is missing or wrong; the message names it.</exception>
    public static AccessTokenFile Parse(ReadOnlySpan<byte> json, string name = "token")
    {
        string where = "token file '" + name + "': ";
        try
        {
            return ParseDocument(json, where);
        }
        catch (InvalidOperationException e) when (e.InnerException is System.Text.DecoderFallbackException)
        {
            // RFC 8259 §8.1: JSON text is UTF-8; JsonDocument checks a string's bytes only when it is read.
            throw new FormatException(where + "a string is not valid UTF-8", e);
        }
    }

    private static AccessTokenFile ParseDocument(ReadOnlySpan<byte> json, string where)
    {
        using (JsonDocument doc = JsonFile.ParseObject(json, where, 8, Known))
        {
            JsonElement root = doc.RootElement;
            byte[] token = JsonFile.Hex(root, "access_token", where, true)!;
            if (token.Length == 0)
            {
                throw new FormatException(where + "\"access_token\" must not be empty");
            }

            int profile = ParseProfile(root, where);
            if (profile == AceProfile.CoapDtls)
            {
                return ParseDtls(root, token, where);
            }

            if (!root.TryGetProperty("cnf", out JsonElement cnf) || cnf.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException(where + "missing object \"cnf\" with the key material: {\"osc\": {\"id\": ..., \"ms\": ...}} (RFC 9203 §3.2)");
            }

            if (!cnf.TryGetProperty("osc", out JsonElement osc) || osc.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException(where + "\"cnf\" must hold \"osc\": the OSCORE_Input_Material (RFC 9203 §3.2.1)");
            }

            string oscWhere = where + "cnf.osc: ";
            JsonFile.CheckKnown(osc, KnownOsc, oscWhere);
            byte[] id = JsonFile.Hex(osc, "id", oscWhere, true)!;
            byte[] ms = JsonFile.Hex(osc, "ms", oscWhere, true)!;
            if (ms.Length == 0)
            {
                throw new FormatException(oscWhere + "\"ms\" (the Master Secret) must not be empty");
            }

            int alg = Int(osc, "alg", oscWhere) ?? SecurityContext.DefaultAlgorithm;
            if (alg is not (10 or 11 or 30 or 31))
            {
                throw new FormatException(oscWhere + "\"alg\" " + alg.ToString(CultureInfo.InvariantCulture) + " is not supported; use 10 (AES-CCM-16-64-128), 11, 30 or 31");
            }

            byte[]? contextId = JsonFile.Hex(osc, "contextId", oscWhere, false);
            if (contextId != null && contextId.Length > SecurityContext.MaxIdContextLength)
            {
                throw new FormatException(oscWhere + "\"contextId\" is longer than " + SecurityContext.MaxIdContextLength + " bytes");
            }

            return new AccessTokenFile(token, ms, id)
            {
                Profile = profile,
                Audience = Text(root, "audience", where),
                Scope = ParseScope(root, where),
                Protection = ParseProtection(root, where),
                ExpiresIn = Long(root, "expires_in", where),
                Expiration = Long(root, "exp", where),
                Exi = Long(root, "exi", where),
                Salt = JsonFile.Hex(osc, "salt", oscWhere, false),
                ContextId = contextId,
                Algorithm = alg,
                Hkdf = Int(osc, "hkdf", oscWhere),
            };
        }
    }

    /// <summary>Writes the file owner-only (<see cref="SecretFile"/>); it holds a Master Secret.</summary>
    /// <param name="path">The file.</param>
    /// <param name="overwrite">Replace an existing file; when false an existing file is an error and stays as it was.</param>
    /// <exception cref="TargetExistsException">The file exists and <paramref name="overwrite"/> is false.</exception>
    /// <exception cref="IOException">It cannot be written.</exception>
    public void Save(string path, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] json = ToJson();
        try
        {
            SecretFile.Write(path, json, overwrite);
        }
        finally
        {
            Array.Clear(json);
        }
    }

    /// <summary>The JSON text (UTF-8, indented).</summary>
    /// <returns>The bytes.</returns>
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("access_token", Convert.ToHexStringLower(AccessToken));
            w.WriteString("token_type", "PoP");
            w.WriteString("ace_profile", AceProfileNames.Name(Profile));
            if (Audience != null)
            {
                w.WriteString("audience", Audience);
            }

            if (Scope != null)
            {
                w.WritePropertyName("scope");
                Scope.WriteJson(w);
            }

            if (Protection is TokenProtection p)
            {
                w.WriteString("protection", p switch { TokenProtection.Mac0 => "mac0", TokenProtection.Sign1 => "sign1", _ => "encrypt0" });
            }

            WriteIf(w, "expires_in", ExpiresIn);
            WriteIf(w, "exp", Expiration);
            WriteIf(w, "exi", Exi);
            if (Profile == AceProfile.CoapDtls)
            {
                WriteDtls(w);
            }
            else
            {
                WriteOscoreCnf(w);
            }

            w.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    // RFC 9203 §3.2.1: { "osc": OSCORE_Input_Material } with byte strings in hex.
    private void WriteOscoreCnf(Utf8JsonWriter w)
    {
        w.WriteStartObject("cnf");
        w.WriteStartObject("osc");
        w.WriteString("id", Convert.ToHexStringLower(InputMaterialId));
        w.WriteString("ms", Convert.ToHexStringLower(MasterSecret));
        if (Hkdf is int hkdf)
        {
            w.WriteNumber("hkdf", hkdf);
        }

        w.WriteNumber("alg", Algorithm);
        if (Salt != null)
        {
            w.WriteString("salt", Convert.ToHexStringLower(Salt));
        }

        if (ContextId != null)
        {
            w.WriteString("contextId", Convert.ToHexStringLower(ContextId));
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteIf(Utf8JsonWriter w, string name, long? value)
    {
        if (value is long v)
        {
            w.WriteNumber(name, v);
        }
    }

    private static string? Text(JsonElement obj, string field, string where)
    {
        if (!obj.TryGetProperty(field, out JsonElement e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return e.ValueKind == JsonValueKind.String ? e.GetString() : throw new FormatException(where + "\"" + field + "\" must be a string");
    }

    private static long? Long(JsonElement obj, string field, string where)
    {
        if (!obj.TryGetProperty(field, out JsonElement e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out long v) && v >= 0
            ? v
            : throw new FormatException(where + "\"" + field + "\" must be a non-negative integer, not " + e.GetRawText());
    }

    private static int? Int(JsonElement obj, string field, string where)
    {
        if (!obj.TryGetProperty(field, out JsonElement e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v)
            ? v
            : throw new FormatException(where + "\"" + field + "\" must be an integer (a COSE algorithm number), not " + e.GetRawText());
    }

    private static int ParseProfile(JsonElement root, string where)
    {
        if (!root.TryGetProperty("ace_profile", out JsonElement e) || e.ValueKind == JsonValueKind.Null)
        {
            return AceProfile.CoapOscore;
        }

        try
        {
            return e.ValueKind switch
            {
                JsonValueKind.String => AceProfileNames.Parse(e.GetString()!),
                JsonValueKind.Number when e.TryGetInt32(out int n) && n >= 0 => n,
                _ => throw new FormatException("it must be \"coap_oscore\" or a number"),
            };
        }
        catch (FormatException x)
        {
            throw new FormatException(where + "\"ace_profile\": " + x.Message);
        }
    }

    private static AccessScope? ParseScope(JsonElement root, string where)
    {
        if (!root.TryGetProperty("scope", out JsonElement e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        try
        {
            return AccessScope.FromJson(e);
        }
        catch (FormatException x)
        {
            throw new FormatException(where + "\"scope\": " + x.Message);
        }
    }

    private static TokenProtection? ParseProtection(JsonElement root, string where) => Text(root, "protection", where) switch
    {
        null => null,
        "mac0" => TokenProtection.Mac0,
        "encrypt0" => TokenProtection.Encrypt0,
        "sign1" => TokenProtection.Sign1,
        string other => throw new FormatException(where + "\"protection\" must be \"mac0\", \"encrypt0\" or \"sign1\", not \"" + other + "\""),
    };
}
