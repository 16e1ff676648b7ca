using PopIoT.Core.Ace;
using PopIoT.Core.Cbor;
using PopIoT.Core.Cwt;

namespace PopIoT.Ace;

/// <summary>
/// The AS's answer to a token request (RFC 9200 §5.8.2): access_token, expires_in, ace_profile, the scope when the AS
/// narrowed it, and the key: for coap_oscore cnf with OSCORE_Input_Material (RFC 9203 §3.2); for coap_dtls cnf with the
/// PSK as a COSE_Key (RFC 9202 §3.3), or rs_cnf with the RS's public key (§3.2.1), or neither for an update (§4).
/// </summary>
public sealed class AceTokenResponse
{
    private AceTokenResponse(AccessTokenFile token, long expiresIn, byte[]? narrowedScope)
    {
        Token = token;
        ExpiresIn = expiresIn;
        NarrowedScope = narrowedScope;
    }

    /// <summary>The token with the client's key material, as <c>popiot token mint</c> writes it.</summary>
    public AccessTokenFile Token { get; }

    /// <summary>The lifetime the AS gave, in seconds (RFC 9200 §5.8.2 expires_in), or -1 when it gave none.</summary>
    public long ExpiresIn { get; }

    /// <summary>The scope's CBOR when the AS returned one (RFC 9200 §5.8.2: it differs from the request, or none was asked), else null.</summary>
    public byte[]? NarrowedScope { get; }

    /// <summary>Reads a 2.01 body; never throws on bad input but returns false with the reason.</summary>
    /// <param name="body">The application/ace+cbor payload.</param>
    /// <param name="audience">The audience the token was asked for (recorded in the token file).</param>
    /// <param name="response">The parsed response.</param>
    /// <param name="error">Why it was refused.</param>
    /// <returns>Whether the body is a usable token response.</returns>
    public static bool TryParse(byte[] body, string audience, out AceTokenResponse? response, out string error)
    {
        ArgumentNullException.ThrowIfNull(body);
        response = null;
        try
        {
            return Parse(body, audience, out response, out error);
        }
        catch (CborException e)
        {
            error = "the token response is not well-formed CBOR: " + e.Message;
            return false;
        }
    }

    private static bool Parse(byte[] body, string audience, out AceTokenResponse? response, out string error)
    {
        response = null;
        var r = new CborReader(body);
        if (r.PeekState() != CborReaderState.StartMap)
        {
            error = "the token response is not a CBOR map (RFC 9200 §5.8.2)";
            return false;
        }

        byte[]? token = null;
        byte[]? scope = null;
        long expiresIn = -1;
        int profile = 0;
        OscMaterial? osc = null;
        byte[]? rsCnf = null;
        r.ReadStartMap();
        while (r.PeekState() != CborReaderState.EndMap)
        {
            if (r.PeekState() != CborReaderState.UnsignedInteger && r.PeekState() != CborReaderState.NegativeInteger)
            {
                r.SkipValue();
                r.SkipValue();
                continue;
            }

            long key = r.ReadInt64();
            switch (key)
            {
                case AceParameters.AccessToken when r.PeekState() == CborReaderState.ByteString:
                    token = r.ReadByteString();
                    break;
                case AceParameters.ExpiresIn when r.PeekState() == CborReaderState.UnsignedInteger:
                    expiresIn = r.ReadInt64();
                    break;
                case AceParameters.AceProfile when r.PeekState() == CborReaderState.UnsignedInteger:
                    profile = r.ReadInt32();
                    break;
                case AceParameters.Scope:
                    r.ReadEncodedValue(out int so, out int sl);
                    scope = body.AsSpan(so, sl).ToArray();
                    break;
                case AceParameters.Cnf when r.PeekState() == CborReaderState.StartMap:
                    osc = ReadCnf(r);
                    break;
                case AceParameters.RsCnf when r.PeekState() == CborReaderState.StartMap:
                    rsCnf = ReadRsCnf(r);
                    break;
                default:
                    r.SkipValue();
                    break;
            }
        }

        r.ReadEndMap();
        if (token == null)
        {
            error = "the token response has no access_token (RFC 9200 §5.8.2)";
            return false;
        }

        if (profile != 0 && profile != AceProfile.CoapOscore && profile != AceProfile.CoapDtls)
        {
            error = "the AS issued a token for ace_profile " + profile + ", neither coap_oscore (RFC 9203) nor coap_dtls (RFC 9202)";
            return false;
        }

        if (profile == AceProfile.CoapDtls)
        {
            return ParseDtls(token, expiresIn, scope, osc, rsCnf, audience, out response, out error);
        }

        if (osc?.Id == null || osc.MasterSecret == null)
        {
            error = "the token response has no cnf with OSCORE_Input_Material holding id and ms (RFC 9203 §3.2.1)";
            return false;
        }

        if (!TryScope(scope, out AccessScope? granted, out error))
        {
            return false;
        }

        var file = new AccessTokenFile(token, osc.MasterSecret, osc.Id)
        {
            Audience = audience,
            Scope = granted,
            ExpiresIn = expiresIn >= 0 ? expiresIn : null,
            Salt = osc.Salt,
            ContextId = osc.ContextId,
            Algorithm = osc.Algorithm ?? Core.Oscore.SecurityContext.DefaultAlgorithm,
            Hkdf = osc.Hkdf,
        };
        response = new AceTokenResponse(file, expiresIn, scope);
        error = string.Empty;
        return true;
    }

    // RFC 9202 §3.3 (PSK: cnf's COSE_Key with kid and k), §3.2.1 (RPK: rs_cnf), §4 (an update: neither).
    private static bool ParseDtls(byte[] token, long expiresIn, byte[]? scope, OscMaterial? cnf, byte[]? rsCnf, string audience, out AceTokenResponse? response, out string error)
    {
        response = null;
        if (cnf != null && (cnf.PskNotSymmetric || cnf.PskKid == null || cnf.Psk == null || cnf.PskKid.Length == 0 || cnf.Psk.Length == 0))
        {
            error = "the coap_dtls token response's cnf is not a symmetric COSE_Key with kid and k (RFC 9202 §3.3)";
            return false;
        }

        if (!TryScope(scope, out AccessScope? granted, out error))
        {
            return false;
        }

        var file = new AccessTokenFile(token, [], [])
        {
            Profile = AceProfile.CoapDtls,
            PskKid = cnf?.PskKid,
            Psk = cnf?.Psk,
            RsPublicKey = rsCnf,
            Audience = audience,
            Scope = granted,
            ExpiresIn = expiresIn >= 0 ? expiresIn : null,
        };
        response = new AceTokenResponse(file, expiresIn, scope);
        return true;
    }

    private static bool TryScope(byte[]? scope, out AccessScope? granted, out string error)
    {
        granted = null;
        error = string.Empty;
        if (scope == null)
        {
            return true;
        }

        try
        {
            granted = AccessScope.Decode(scope);
            return true;
        }
        catch (FormatException e)
        {
            error = "the token response's scope is neither a text scope nor AIF (RFC 9237): " + e.Message;
            return false;
        }
    }

    // rs_cnf = { COSE_Key (1): key } (RFC 9201 §5): the key's encoding, or null for another form.
    private static byte[]? ReadRsCnf(CborReader r)
    {
        byte[]? key = null;
        int n = r.ReadStartMap();
        for (int i = 0; i < n; i++)
        {
            if (r.PeekState() == CborReaderState.UnsignedInteger && r.ReadInt64() == (long)CnfMethod.CoseKey && r.PeekState() == CborReaderState.StartMap)
            {
                r.ReadEncodedValue(out int o, out int l);
                key = r.Buffer.AsSpan(o, l).ToArray();
                continue;
            }

            r.SkipValue();
        }

        r.ReadEndMap();
        return key;
    }

    // RFC 9203 §3.2.1: cnf = { osc (4): { id, ms, and optionally version, hkdf, alg, salt, contextId } }; RFC 9202 §3.3:
    // cnf = { COSE_Key (1): { kty: 4, kid, k } }.
    private static OscMaterial? ReadCnf(CborReader r)
    {
        OscMaterial? found = null;
        r.ReadStartMap();
        while (r.PeekState() != CborReaderState.EndMap)
        {
            long method = r.PeekState() == CborReaderState.UnsignedInteger ? r.ReadInt64() : -1;
            if (method == (long)CnfMethod.OscoreInputMaterial && r.PeekState() == CborReaderState.StartMap)
            {
                found = ReadMaterial(r);
                continue;
            }

            if (method == (long)CnfMethod.CoseKey && r.PeekState() == CborReaderState.StartMap)
            {
                found = ReadPsk(r);
                continue;
            }

            r.SkipValue();
        }

        r.ReadEndMap();
        return found;
    }

    private static OscMaterial ReadPsk(CborReader r)
    {
        var m = new OscMaterial();
        r.ReadStartMap();
        while (r.PeekState() != CborReaderState.EndMap)
        {
            CborReaderState labelState = r.PeekState();
            long label = labelState is CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger ? r.ReadInt64() : long.MinValue;
            if (label == long.MinValue)
            {
                r.SkipValue();
            }
            else if (label == Core.Cose.CoseKeyLabel.Kid && r.PeekState() == CborReaderState.ByteString)
            {
                m.PskKid = r.ReadByteString();
                continue;
            }
            else if (label == Core.Cose.CoseKeyLabel.K && r.PeekState() == CborReaderState.ByteString)
            {
                m.Psk = r.ReadByteString();
                continue;
            }
            else if (label == Core.Cose.CoseKeyLabel.Kty)
            {
                bool symmetric = false;
                if (r.PeekState() == CborReaderState.UnsignedInteger)
                {
                    symmetric = r.ReadInt64() == Core.Cose.CoseKeyType.Symmetric;
                }
                else
                {
                    r.SkipValue();
                }

                m.PskNotSymmetric |= !symmetric;
                continue;
            }

            r.SkipValue();
        }

        r.ReadEndMap();
        return m;
    }

    private static OscMaterial ReadMaterial(CborReader r)
    {
        var m = new OscMaterial();
        r.ReadStartMap();
        while (r.PeekState() != CborReaderState.EndMap)
        {
            long label = r.PeekState() == CborReaderState.UnsignedInteger ? r.ReadInt64() : -1;
            if (label < 0)
            {
                r.SkipValue();
                r.SkipValue();
                continue;
            }

            CborReaderState s = r.PeekState();
            if (s == CborReaderState.ByteString && label is OscoreInputMaterial.LabelId or OscoreInputMaterial.LabelMs or OscoreInputMaterial.LabelSalt or OscoreInputMaterial.LabelContextId)
            {
                byte[] v = r.ReadByteString();
                switch (label)
                {
                    case OscoreInputMaterial.LabelId: m.Id = v; break;
                    case OscoreInputMaterial.LabelMs: m.MasterSecret = v; break;
                    case OscoreInputMaterial.LabelSalt: m.Salt = v; break;
                    default: m.ContextId = v; break;
                }
            }
            else if ((s == CborReaderState.UnsignedInteger || s == CborReaderState.NegativeInteger) && label is OscoreInputMaterial.LabelAlg or OscoreInputMaterial.LabelHkdf)
            {
                int v = r.ReadInt32();
                if (label == OscoreInputMaterial.LabelAlg)
                {
                    m.Algorithm = v;
                }
                else
                {
                    m.Hkdf = v;
                }
            }
            else
            {
                r.SkipValue();
            }
        }

        r.ReadEndMap();
        return m;
    }

    private sealed class OscMaterial
    {
        public byte[]? Id { get; set; }

        public byte[]? MasterSecret { get; set; }

        public byte[]? Salt { get; set; }

        public byte[]? ContextId { get; set; }

        public int? Algorithm { get; set; }

        public int? Hkdf { get; set; }

        // coap_dtls: the COSE_Key's kid and k (RFC 9202 §3.3), and whether its kty was another than Symmetric.
        public byte[]? PskKid { get; set; }

        public bool PskNotSymmetric { get; set; }

        public byte[]? Psk { get; set; }
    }
}
