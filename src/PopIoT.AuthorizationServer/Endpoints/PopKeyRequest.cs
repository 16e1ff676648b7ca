using PopIoT.AuthorizationServer.Ace;
using PopIoT.Core.Ace;
using PopIoT.Core.Cbor;
using PopIoT.Core.Cose;
using PopIoT.Core.Cwt;

namespace PopIoT.AuthorizationServer.Endpoints;

/// <summary>
/// The req_cnf of a token request (RFC 9201 §5, RFC 8747 §3.1): none, a kid naming a PoP key the AS issued before (an
/// update of access rights, RFC 9203 §3.1, RFC 9202 §4), or the client's public COSE_Key (DTLS RPK mode, RFC 9202
/// §3.2.1). Dispose to release the key.
/// </summary>
internal sealed class PopKeyRequest : IDisposable
{
    private PopKeyRequest(byte[]? kid, CoseKey? clientKey)
    {
        Kid = kid;
        ClientKey = clientKey;
    }

    /// <summary>Whether req_cnf holds a COSE_Key (RPK mode), decoded by <see cref="DecodeClientKey"/> once the profile is known.</summary>
    public bool HasCoseKey { get; private init; }

    private byte[]? KeyBody { get; init; }

    private int KeyOffset { get; init; }

    private int KeyLength { get; init; }

    /// <summary>The kid of an update of access rights, or null.</summary>
    public byte[]? Kid { get; }

    /// <summary>The client's public key (EC2 P-256, no d) after <see cref="DecodeClientKey"/>, or null.</summary>
    public CoseKey? ClientKey { get; private set; }

    /// <summary>Reads req_cnf from the request, if present.</summary>
    /// <param name="map">The request.</param>
    /// <param name="request">The parsed req_cnf (empty when absent), or null on an error.</param>
    /// <returns>The refusal, or null.</returns>
    public static AceResponse? Read(AceRequestMap map, out PopKeyRequest? request)
    {
        request = null;
        if (!map.TryGetEncoded(AceParameters.ReqCnf, out int offset, out int length))
        {
            request = new PopKeyRequest(null, null);
            return null;
        }

        var r = new CborReader(map.Body, offset, length);
        if (r.PeekState() != CborReaderState.StartMap || r.ReadStartMap() != 1
            || r.PeekState() is not (CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger))
        {
            return AceResponse.Failure(AceErrorCode.InvalidRequest, "req_cnf (4) must be a map with one confirmation method (RFC 8747 §3.1)");
        }

        long method = r.ReadInt64();
        if (method == (int)CnfMethod.Kid)
        {
            if (r.PeekState() != CborReaderState.ByteString)
            {
                return AceResponse.Failure(AceErrorCode.InvalidRequest, "req_cnf kid must be a byte string (RFC 8747 §3.4)");
            }

            byte[] kid = r.ReadByteString();
            if (kid.Length is 0 or > 64)
            {
                return AceResponse.Failure(AceErrorCode.InvalidRequest, "req_cnf kid must be 1 to 64 bytes");
            }

            request = new PopKeyRequest(kid, null);
            return null;
        }

        if (method != (int)CnfMethod.CoseKey)
        {
            return AceResponse.Failure(
                AceErrorCode.UnsupportedPopKey,
                "req_cnf method " + method + " is not supported: send a public COSE_Key (1) for DTLS RPK mode (RFC 9202 §3.2.1), or { kid } (3) to update access rights");
        }

        int start = r.Position;
        r.SkipValue();
        request = new PopKeyRequest(null, null) { HasCoseKey = true, KeyBody = map.Body, KeyOffset = start, KeyLength = r.Position - start };
        return null;
    }

    /// <summary>Decodes the client's COSE_Key (when <see cref="HasCoseKey"/>) and checks it is a public EC2 P-256 key.</summary>
    /// <returns>The refusal, or null when <see cref="ClientKey"/> is set.</returns>
    public AceResponse? DecodeClientKey()
    {
        CoseError e = CoseKey.Decode(KeyBody!, KeyOffset, KeyLength, out CoseKey? key);
        if (e != CoseError.None)
        {
            return AceResponse.Failure(AceErrorCode.InvalidRequest, "req_cnf COSE_Key does not decode: " + e + " (RFC 9052 §7)");
        }

        if (key!.KeyType != CoseKeyType.Ec2 || key.Curve != CoseCurve.P256 || key.HasPrivateKey)
        {
            bool secret = key.HasPrivateKey;
            key.Dispose();
            return AceResponse.Failure(
                AceErrorCode.UnsupportedPopKey,
                secret
                    ? "req_cnf carries private key material: send the public key only (RFC 9201 §5; a symmetric PoP key is made by the AS)"
                    : "req_cnf COSE_Key must be an EC2 P-256 public key (RFC 9202 §3.2.1: TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8)");
        }

        ClientKey = key;
        return null;
    }

    /// <inheritdoc/>
    public void Dispose() => ClientKey?.Dispose();
}
