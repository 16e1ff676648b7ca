using System.Text.Json;
using PopIoT.Core.Ace;
using PopIoT.Core.Cose;

namespace PopIoT.Ace;

/// <summary>
/// The coap_dtls form of TOKEN.json (RFC 9202 §3): in PSK mode <c>"cnf": {"COSE_Key": {"kty": 4, "kid": HEX, "k": HEX}}</c>
/// as the AS's response carries it (§3.3; no "k" after an update of access rights, which keeps the session's key); in
/// RPK mode no cnf (the client holds its own key pair) and <c>"rs_cnf": {"COSE_Key": HEX}</c>, the RS's public
/// COSE_Key in CBOR (RFC 9201 §5, RFC 9202 §3.2.1), or no rs_cnf when the client knows the RS's key otherwise.
/// </summary>
/// <remarks>For coap_dtls, <see cref="MasterSecret"/> and <see cref="InputMaterialId"/> are empty.</remarks>
public sealed partial class AccessTokenFile
{
    private static readonly string[] KnownCoseKey = ["kty", "kid", "k"];

    /// <summary>coap_dtls PSK mode: the kid of the PSK (RFC 9202 §3.3), the psk_identity <c>{8:{1:{1:4, 2:kid}}}</c> names it; or null.</summary>
    public byte[]? PskKid { get; init; }

    /// <summary>coap_dtls PSK mode: the PSK, the k of the COSE_Key in the response's cnf (RFC 9202 §3.3); or null.</summary>
    public byte[]? Psk { get; init; }

    /// <summary>coap_dtls RPK mode: the RS's public COSE_Key from rs_cnf (RFC 9202 §3.2.1), encoded; or null.</summary>
    public byte[]? RsPublicKey { get; init; }

    private void WriteDtls(Utf8JsonWriter w)
    {
        if (PskKid != null)
        {
            w.WriteStartObject("cnf");
            w.WriteStartObject("COSE_Key");
            w.WriteNumber("kty", CoseKeyType.Symmetric);
            w.WriteString("kid", Convert.ToHexStringLower(PskKid));
            if (Psk != null)
            {
                w.WriteString("k", Convert.ToHexStringLower(Psk));
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        if (RsPublicKey != null)
        {
            w.WriteStartObject("rs_cnf");
            w.WriteString("COSE_Key", Convert.ToHexStringLower(RsPublicKey));
            w.WriteEndObject();
        }
    }

    private static AccessTokenFile ParseDtls(JsonElement root, byte[] token, string where)
    {
        byte[]? kid = null;
        byte[]? psk = null;
        if (root.TryGetProperty("cnf", out JsonElement cnf) && cnf.ValueKind != JsonValueKind.Null)
        {
            string cnfWhere = where + "cnf.COSE_Key: ";
            if (cnf.ValueKind != JsonValueKind.Object || !cnf.TryGetProperty("COSE_Key", out JsonElement key) || key.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException(where + "\"cnf\" of a coap_dtls token must hold \"COSE_Key\": {\"kty\": 4, \"kid\": ..., \"k\": ...} (RFC 9202 §3.3)");
            }

            JsonFile.CheckKnown(cnf, ["COSE_Key"], where + "cnf: ");
            JsonFile.CheckKnown(key, KnownCoseKey, cnfWhere);
            if (Int(key, "kty", cnfWhere) is int kty && kty != CoseKeyType.Symmetric)
            {
                throw new FormatException(cnfWhere + "\"kty\" must be 4 (Symmetric): the PSK of RFC 9202 §3.3");
            }

            kid = JsonFile.Hex(key, "kid", cnfWhere, true)!;
            psk = JsonFile.Hex(key, "k", cnfWhere, false);
            if (kid.Length == 0 || psk is { Length: 0 })
            {
                throw new FormatException(cnfWhere + "\"kid\" and \"k\" must not be empty");
            }
        }

        byte[]? rsKey = null;
        if (root.TryGetProperty("rs_cnf", out JsonElement rsCnf) && rsCnf.ValueKind != JsonValueKind.Null)
        {
            string rsWhere = where + "rs_cnf: ";
            if (rsCnf.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException(rsWhere + "must be {\"COSE_Key\": HEX} (RFC 9201 §5)");
            }

            JsonFile.CheckKnown(rsCnf, ["COSE_Key"], rsWhere);
            rsKey = JsonFile.Hex(rsCnf, "COSE_Key", rsWhere, true)!;
            if (CoseKey.Decode(rsKey, 0, rsKey.Length, out CoseKey? decoded) != CoseError.None || decoded!.KeyType != CoseKeyType.Ec2 || decoded.HasPrivateKey)
            {
                decoded?.Dispose();
                throw new FormatException(rsWhere + "\"COSE_Key\" must be the RS's public EC2 key in CBOR (RFC 9202 §3.2.1)");
            }

            decoded.Dispose();
        }

        return new AccessTokenFile(token, [], [])
        {
            Profile = AceProfile.CoapDtls,
            PskKid = kid,
            Psk = psk,
            RsPublicKey = rsKey,
            Audience = Text(root, "audience", where),
            Scope = ParseScope(root, where),
            Protection = ParseProtection(root, where),
            ExpiresIn = Long(root, "expires_in", where),
            Expiration = Long(root, "exp", where),
            Exi = Long(root, "exi", where),
        };
    }
}
