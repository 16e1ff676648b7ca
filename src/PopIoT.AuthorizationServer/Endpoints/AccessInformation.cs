using PopIoT.Core.Ace;
using PopIoT.Core.Cbor;
using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;
using PopIoT.Core.Cwt;

namespace PopIoT.AuthorizationServer.Endpoints;

/// <summary>
/// The Access Information of a token response (RFC 9200 §5.8.2) and the cnf maps the AS gives the client and keeps with
/// the token: OSCORE_Input_Material (RFC 9203 §3.2), the DTLS PSK as a COSE_Key (RFC 9202 §3.3), a public COSE_Key
/// (RFC 9202 §3.2.1, rs_cnf of RFC 9201 §5), or { kid } (RFC 8747 §3.4).
/// </summary>
internal static class AccessInformation
{
    /// <summary>{ osc: { id, ms } } as in the token, for the client (RFC 9203 §3.2).</summary>
    public static byte[] OscoreCnf(byte[] id, byte[] masterSecret) => Write(32 + id.Length + masterSecret.Length, w =>
    {
        w.WriteStartMap(1);
        w.WriteInt32((int)CnfMethod.OscoreInputMaterial);
        w.WriteStartMap(2);
        w.WriteInt32(OscoreInputMaterial.LabelId);
        w.WriteByteString(id);
        w.WriteInt32(OscoreInputMaterial.LabelMs);
        w.WriteByteString(masterSecret);
    });

    /// <summary>{ COSE_Key: { kty: Symmetric, kid, k } }: the PSK for the client (RFC 9202 §3.3).</summary>
    public static byte[] PskCnf(byte[] kid, byte[] psk) => Write(32 + kid.Length + psk.Length, w =>
    {
        w.WriteStartMap(1);
        w.WriteInt32((int)CnfMethod.CoseKey);
        w.WriteStartMap(3);
        w.WriteInt32(CoseKeyLabel.Kty);
        w.WriteInt32(CoseKeyType.Symmetric);
        w.WriteInt32(CoseKeyLabel.Kid);
        w.WriteByteString(kid);
        w.WriteInt32(CoseKeyLabel.K);
        w.WriteByteString(psk);
    });

    /// <summary>{ COSE_Key: key } for an encoded public key: the token's cnf in RPK mode, or rs_cnf (RFC 9202 §3.2.1).</summary>
    public static byte[] KeyCnf(byte[] coseKey) => Write(16 + coseKey.Length, w =>
    {
        w.WriteStartMap(1);
        w.WriteInt32((int)CnfMethod.CoseKey);
        w.WriteEncodedValue(coseKey, 0, coseKey.Length);
    });

    /// <summary>{ kid: id } (RFC 8747 §3.4), the cnf of an update of access rights.</summary>
    public static byte[] KidCnf(byte[] id) => Write(16 + id.Length, w =>
    {
        w.WriteStartMap(1);
        w.WriteInt32((int)CnfMethod.Kid);
        w.WriteByteString(id);
    });

    /// <summary>access_token, expires_in, cnf, rs_cnf, scope when it differs from the request, ace_profile (RFC 9200 §5.8.2).</summary>
    public static byte[] Response(byte[] token, int lifetime, byte[]? cnf, byte[]? rsCnf, int profile, byte[]? scope) =>
        Write(64 + token.Length + (cnf?.Length ?? 0) + (rsCnf?.Length ?? 0) + (scope?.Length ?? 0), w =>
        {
            w.WriteStartMap(3 + (cnf == null ? 0 : 1) + (rsCnf == null ? 0 : 1) + (scope == null ? 0 : 1));
            w.WriteInt32(AceParameters.AccessToken);
            w.WriteByteString(token);
            w.WriteInt32(AceParameters.ExpiresIn);
            w.WriteInt32(lifetime);
            if (cnf != null)
            {
                w.WriteInt32(AceParameters.Cnf);
                w.WriteEncodedValue(cnf, 0, cnf.Length);
            }

            if (scope != null)
            {
                w.WriteInt32(AceParameters.Scope);
                w.WriteEncodedValue(scope, 0, scope.Length);
            }

            w.WriteInt32(AceParameters.AceProfile);
            w.WriteInt32(profile);
            if (rsCnf != null)
            {
                w.WriteInt32(AceParameters.RsCnf);
                w.WriteEncodedValue(rsCnf, 0, rsCnf.Length);
            }
        });

    /// <summary>The id of the PoP key in a stored cnf: the kid, the OSCORE_Input_Material id, or a COSE_Key's kid.</summary>
    /// <param name="cnf">The stored cnf.</param>
    /// <returns>The id, or null when the cnf names none.</returns>
    public static byte[]? PopKeyId(byte[] cnf)
    {
        var r = new CborReader(cnf);
        r.ReadStartMap();
        long method = r.ReadInt64();
        if (method == (int)CnfMethod.Kid)
        {
            return r.ReadByteString();
        }

        long wanted = method == (int)CnfMethod.OscoreInputMaterial ? OscoreInputMaterial.LabelId : method == (int)CnfMethod.CoseKey ? CoseKeyLabel.Kid : long.MinValue;
        if (wanted == long.MinValue || r.PeekState() != CborReaderState.StartMap)
        {
            return null;
        }

        int n = r.ReadStartMap();
        for (int i = 0; i < n; i++)
        {
            if (r.ReadInt64() == wanted && r.PeekState() == CborReaderState.ByteString)
            {
                return r.ReadByteString();
            }

            r.SkipValue();
        }

        return null;
    }

    private static byte[] Write(int size, Action<CborWriter> write)
    {
        byte[] buffer = new byte[size];
        try
        {
            var w = new CborWriter(buffer);
            write(w);
            return buffer.AsSpan(0, w.BytesWritten).ToArray();
        }
        finally
        {
            CryptoBytes.Clear(buffer);
        }
    }
}
