using PopIoT.Core.Ace;
using PopIoT.Core.Cbor;

namespace PopIoT.Ace;

/// <summary>
/// The body of a client-credentials token request to the AS's /token endpoint (RFC 9200 §5.8.1), in
/// application/ace+cbor with the CBOR abbreviations of RFC 9200 §5.8.5 (Table 5).
/// </summary>
public static class AceTokenRequest
{
    /// <summary>
    /// Encodes { grant_type: client_credentials, audience, [scope], [ace_profile: null], [cnonce] }. Asking for
    /// ace_profile with null makes the AS say which profile the token is for (RFC 9200 §5.8.1).
    /// </summary>
    /// <param name="audience">The RS's audience (RFC 9200 §5.8.1 "audience", abbreviation 5).</param>
    /// <param name="scope">The scope as its CBOR encoding (a text string or an AIF array, RFC 9237), or null for the AS's default.</param>
    /// <param name="cnonce">The cnonce from the RS's creation hints (RFC 9200 §5.3.1), or null.</param>
    /// <returns>The CBOR map.</returns>
    public static byte[] Encode(string audience, byte[]? scope, byte[]? cnonce) => Encode(audience, scope, cnonce, null);

    /// <summary>As <see cref="Encode(string, byte[], byte[])"/>, with req_cnf { kid } for an update of access rights (RFC 9202 §4, RFC 9203 §3.1).</summary>
    /// <param name="audience">The RS's audience.</param>
    /// <param name="scope">The scope's CBOR, or null.</param>
    /// <param name="cnonce">The cnonce, or null.</param>
    /// <param name="updateKid">The kid of the PoP key the RS holds, or null for a new key.</param>
    /// <returns>The CBOR map.</returns>
    public static byte[] Encode(string audience, byte[]? scope, byte[]? cnonce, byte[]? updateKid) => Encode(audience, scope, cnonce, updateKid, null);

    /// <summary>
    /// As <see cref="Encode(string, byte[], byte[], byte[])"/>, or with req_cnf { COSE_Key } carrying the client's public
    /// key (RFC 9202 §3.2.1, RPK mode; also for a new token for the same key, §4).
    /// </summary>
    /// <param name="audience">The RS's audience.</param>
    /// <param name="scope">The scope's CBOR, or null.</param>
    /// <param name="cnonce">The cnonce, or null.</param>
    /// <param name="updateKid">The kid of the PoP key the RS holds, or null.</param>
    /// <param name="publicKey">The client's public COSE_Key, encoded (no d), or null; not with <paramref name="updateKid"/>.</param>
    /// <returns>The CBOR map.</returns>
    public static byte[] Encode(string audience, byte[]? scope, byte[]? cnonce, byte[]? updateKid, byte[]? publicKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(audience);
        if (updateKid != null && publicKey != null)
        {
            throw new ArgumentException("req_cnf holds one confirmation method (RFC 8747 §3.1): a kid or a COSE_Key");
        }

        byte[] buffer = new byte[80 + (audience.Length * 3) + (scope?.Length ?? 0) + (cnonce?.Length ?? 0) + (updateKid?.Length ?? 0) + (publicKey?.Length ?? 0)];
        var w = new CborWriter(buffer);
        w.WriteStartMap(3 + (scope != null ? 1 : 0) + (cnonce != null ? 1 : 0) + (updateKid != null || publicKey != null ? 1 : 0));
        if (updateKid != null || publicKey != null)
        {
            // RFC 8747 §3.4 (kid) or §3.1 (COSE_Key) inside req_cnf (RFC 9201 §5), key 4 before audience 5 (RFC 8949 §4.2.1 order).
            w.WriteInt32(AceParameters.ReqCnf);
            w.WriteStartMap(1);
            if (publicKey != null)
            {
                w.WriteInt32((int)Core.Cwt.CnfMethod.CoseKey);
                w.WriteEncodedValue(publicKey, 0, publicKey.Length);
            }
            else
            {
                w.WriteInt32((int)Core.Cwt.CnfMethod.Kid);
                w.WriteByteString(updateKid!);
            }
        }

        w.WriteInt32(AceParameters.Audience);
        w.WriteTextString(audience);
        if (scope != null)
        {
            w.WriteInt32(AceParameters.Scope);
            w.WriteEncodedValue(scope, 0, scope.Length);
        }

        w.WriteInt32(AceParameters.GrantType);
        w.WriteInt32(AceParameters.GrantClientCredentials);
        w.WriteInt32(AceParameters.AceProfile);
        w.WriteNull();
        if (cnonce != null)
        {
            w.WriteInt32(AceParameters.Cnonce);
            w.WriteByteString(cnonce);
        }

        return buffer.AsSpan(0, w.BytesWritten).ToArray();
    }
}
