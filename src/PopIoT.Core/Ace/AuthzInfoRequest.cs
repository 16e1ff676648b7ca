using System;

using PopIoT.Core.Cbor;

namespace PopIoT.Core.Ace;

/// <summary>
/// The payload of a POST to /authz-info in the ACE OSCORE profile (RFC 9203 §4.1, RFC 9200 §5.10.1): an
/// application/ace+cbor map { access_token (1): bstr, nonce1 (40): bstr, ace_client_recipientid (43): bstr }. An
/// access-rights update (RFC 9203 §4.1) carries only access_token. <see cref="Encode(ByteRange, byte[], byte[], ByteRange)"/>
/// is the client's side; <see cref="Parse"/> the resource server's: it locates the fields as slices without copying.
/// Reuse one instance; parsing allocates nothing.
/// </summary>
public sealed class AuthzInfoRequest
{
    private readonly CborReader _reader = new CborReader(new byte[1], 0, 0, 4) { ThrowOnError = false };

    /// <summary>The array the slices point into (the parsed payload).</summary>
    public byte[] Buffer { get; private set; }

    /// <summary>Where the access token starts.</summary>
    public int TokenOffset { get; private set; }

    /// <summary>The access token's length (0 when absent).</summary>
    public int TokenLength { get; private set; }

    /// <summary>Where nonce1 starts.</summary>
    public int Nonce1Offset { get; private set; }

    /// <summary>nonce1's length, or -1 when absent.</summary>
    public int Nonce1Length { get; private set; }

    /// <summary>Where ace_client_recipientid starts.</summary>
    public int ClientRecipientIdOffset { get; private set; }

    /// <summary>ace_client_recipientid's length, or -1 when absent.</summary>
    public int ClientRecipientIdLength { get; private set; }

    /// <summary>True when the request carries nonce1 and ace_client_recipientid (a new context is to be set up).</summary>
    public bool HasNonces
    {
        get { return Nonce1Length >= 0 && ClientRecipientIdLength >= 0; }
    }

    /// <summary>Encodes the request payload (client side, allocates the result).</summary>
    /// <param name="token">The access token.</param>
    /// <param name="nonce1">nonce1, or null for an access-rights update.</param>
    /// <param name="clientRecipientId">ace_client_recipientid, or null for an access-rights update.</param>
    /// <returns>The payload.</returns>
    public static byte[] Encode(byte[] token, byte[] nonce1, byte[] clientRecipientId)
    {
        if (token == null)
        {
            throw new ArgumentException("token is required.");
        }

        byte[] buffer = new byte[token.Length + 32 + (nonce1 == null ? 0 : nonce1.Length) + (clientRecipientId == null ? 0 : clientRecipientId.Length)];
        int n = Encode(ByteRange.Of(token), nonce1, clientRecipientId, ByteRange.Of(buffer));
        byte[] result = new byte[n];
        Array.Copy(buffer, result, n);
        return result;
    }

    /// <summary>Encodes the request payload into a caller's buffer.</summary>
    /// <param name="token">The access token.</param>
    /// <param name="nonce1">nonce1, or null (both nonce1 and the ID are then omitted: an access-rights update).</param>
    /// <param name="clientRecipientId">ace_client_recipientid, or null.</param>
    /// <param name="destination">Where to write, and the room available.</param>
    /// <returns>The encoded length.</returns>
    /// <exception cref="ArgumentException">Exactly one of nonce1 and clientRecipientId is null.</exception>
    /// <exception cref="CborException">The buffer is too small.</exception>
    public static int Encode(ByteRange token, byte[] nonce1, byte[] clientRecipientId, ByteRange destination)
    {
        if ((nonce1 == null) != (clientRecipientId == null))
        {
            throw new ArgumentException("nonce1 and ace_client_recipientid go together (RFC 9203 §4.1).");
        }

        CborWriter w = new CborWriter(destination.Buffer, destination.Offset, destination.Count);
        w.WriteStartMap(nonce1 == null ? 1 : 3);
        w.WriteInt32(AceParameters.AccessToken);
        w.WriteByteString(token.Buffer, token.Offset, token.Count);
        if (nonce1 != null)
        {
            w.WriteInt32(AceParameters.Nonce1);
            w.WriteByteString(nonce1);
            w.WriteInt32(AceParameters.AceClientRecipientId);
            w.WriteByteString(clientRecipientId);
        }

        return w.BytesWritten;
    }

    /// <summary>
    /// Takes a bare access token as the request (RFC 9202 §3.3.2: the token carried as a psk_identity), as if parsed
    /// from a body holding only access_token.
    /// </summary>
    /// <param name="token">The token bytes (not copied).</param>
    internal void SetToken(ByteRange token)
    {
        Buffer = token.Buffer;
        TokenOffset = token.Offset;
        TokenLength = token.Count;
        Nonce1Offset = ClientRecipientIdOffset = 0;
        Nonce1Length = ClientRecipientIdLength = -1;
    }

    /// <summary>
    /// Takes an application/cwt body (RFC 9200 §5.10.1: the payload is the token itself, as RFC 9202 §3.3 posts a
    /// coap_dtls token) as a request carrying only access_token; the token is not parsed here, its verification is.
    /// </summary>
    /// <param name="payload">The array holding the payload.</param>
    /// <param name="offset">Where it starts.</param>
    /// <param name="count">Its length.</param>
    /// <returns><see cref="AceRsError.None"/>, or <see cref="AceRsError.MissingAccessToken"/> for an empty body.</returns>
    public AceRsError ParseToken(byte[] payload, int offset, int count)
    {
        SetToken(new ByteRange(payload, 0, 0));
        if (payload == null || offset < 0 || count <= 0 || count > payload.Length - offset)
        {
            return AceRsError.MissingAccessToken;
        }

        SetToken(new ByteRange(payload, offset, count));
        return AceRsError.None;
    }

    /// <summary>
    /// Parses a payload (RS side). Unknown integer or text keys are skipped (RFC 9200 §5.10.1 leaves room for other
    /// parameters); a key given twice, a value of the wrong type, trailing bytes or malformed CBOR are refused.
    /// </summary>
    /// <param name="payload">The array holding the payload.</param>
    /// <param name="offset">Where it starts.</param>
    /// <param name="count">Its length.</param>
    /// <returns><see cref="AceRsError.None"/>, <see cref="AceRsError.MalformedPayload"/>, <see cref="AceRsError.MissingAccessToken"/>,
    /// <see cref="AceRsError.InvalidNonce1"/> or <see cref="AceRsError.InvalidClientRecipientId"/>.</returns>
    public AceRsError Parse(byte[] payload, int offset, int count)
    {
        Buffer = payload;
        TokenOffset = TokenLength = Nonce1Offset = ClientRecipientIdOffset = 0;
        Nonce1Length = ClientRecipientIdLength = -1;
        if (payload == null || offset < 0 || count <= 0 || count > payload.Length - offset)
        {
            return AceRsError.MalformedPayload;
        }

        // One pass with the reader's sticky error: malformed CBOR anywhere in the payload outranks what was
        // concluded before it, and is refused without an exception (an allocation on the request path).
        AceRsError e = ParseCore(payload, offset, count);
        return _reader.Error != CborError.None ? AceRsError.MalformedPayload : e;
    }

    private AceRsError ParseCore(byte[] payload, int offset, int count)
    {
        CborReader r = _reader;
        r.Reset(payload, offset, count);
        if (r.PeekState() != CborReaderState.StartMap)
        {
            return AceRsError.MalformedPayload;
        }

        r.ReadStartMap();
        bool token = false;
        AceRsError wrongType = AceRsError.None;
        while (r.HasNext())
        {
            CborReaderState ks = r.PeekState();
            if (ks != CborReaderState.UnsignedInteger)
            {
                if (ks != CborReaderState.NegativeInteger && ks != CborReaderState.TextString)
                {
                    return AceRsError.MalformedPayload;
                }

                r.SkipValue();
                r.SkipValue();
                continue;
            }

            ulong key = r.ReadUInt64();
            bool isBstr = r.PeekState() == CborReaderState.ByteString;
            int o = 0;
            int n = 0;
            if (key == AceParameters.AccessToken || key == AceParameters.Nonce1 || key == AceParameters.AceClientRecipientId)
            {
                if (isBstr)
                {
                    r.ReadByteString(out o, out n);
                }
                else
                {
                    r.SkipValue();
                }
            }
            else
            {
                r.SkipValue();
                continue;
            }

            if (key == AceParameters.AccessToken)
            {
                if (token)
                {
                    return AceRsError.MalformedPayload;
                }

                token = true;
                if (!isBstr && wrongType == AceRsError.None)
                {
                    wrongType = AceRsError.MissingAccessToken;
                }

                TokenOffset = o;
                TokenLength = n;
            }
            else if (key == AceParameters.Nonce1)
            {
                if (Nonce1Length >= 0)
                {
                    return AceRsError.MalformedPayload;
                }

                if (!isBstr && wrongType == AceRsError.None)
                {
                    wrongType = AceRsError.InvalidNonce1;
                }

                Nonce1Offset = o;
                Nonce1Length = n;
            }
            else
            {
                if (ClientRecipientIdLength >= 0)
                {
                    return AceRsError.MalformedPayload;
                }

                if (!isBstr && wrongType == AceRsError.None)
                {
                    wrongType = AceRsError.InvalidClientRecipientId;
                }

                ClientRecipientIdOffset = o;
                ClientRecipientIdLength = n;
            }
        }

        r.ReadEndMap();
        if (r.PeekState() != CborReaderState.Finished)
        {
            return AceRsError.MalformedPayload;
        }

        if (wrongType != AceRsError.None)
        {
            return wrongType;
        }

        if (!token || TokenLength == 0)
        {
            return AceRsError.MissingAccessToken;
        }

        // RFC 9203 §4.1: nonce1 and ace_client_recipientid are sent together (or both omitted for an update).
        if (Nonce1Length < 0 && ClientRecipientIdLength >= 0)
        {
            return AceRsError.InvalidNonce1;
        }

        if (Nonce1Length >= 0 && ClientRecipientIdLength < 0)
        {
            return AceRsError.InvalidClientRecipientId;
        }

        return AceRsError.None;
    }
}
