using System;

using PopIoT.Core.Cbor;

namespace PopIoT.Core.Ace;

/// <summary>
/// The 2.01 (Created) payload the resource server answers a POST to /authz-info with in the ACE OSCORE profile
/// (RFC 9203 §4.2): application/ace+cbor { nonce2 (42): bstr, ace_server_recipientid (44): bstr }. An access-rights
/// update is answered with 2.01 and no payload. The client parses it with <see cref="TryParse"/>.
/// </summary>
public static class AuthzInfoResponse
{
    /// <summary>Encodes the payload (RS side; no allocation).</summary>
    /// <param name="nonce2">The array holding nonce2.</param>
    /// <param name="nonce2Offset">Where it starts.</param>
    /// <param name="nonce2Length">Its length.</param>
    /// <param name="serverRecipientId">The array holding ace_server_recipientid.</param>
    /// <param name="idOffset">Where it starts.</param>
    /// <param name="idLength">Its length.</param>
    /// <param name="writer">A writer over the output buffer (reset by the caller).</param>
    public static void Encode(byte[] nonce2, int nonce2Offset, int nonce2Length, byte[] serverRecipientId, int idOffset, int idLength, CborWriter writer)
    {
        writer.WriteStartMap(2);
        writer.WriteInt32(AceParameters.Nonce2);
        writer.WriteByteString(nonce2, nonce2Offset, nonce2Length);
        writer.WriteInt32(AceParameters.AceServerRecipientId);
        writer.WriteByteString(serverRecipientId, idOffset, idLength);
    }

    /// <summary>Parses the payload (client side; allocates the two results).</summary>
    /// <param name="payload">The array holding the payload.</param>
    /// <param name="offset">Where it starts.</param>
    /// <param name="count">Its length.</param>
    /// <param name="nonce2">Receives nonce2.</param>
    /// <param name="serverRecipientId">Receives ace_server_recipientid.</param>
    /// <returns>False when the payload is not such a map (malformed CBOR, a missing member, a wrong type).</returns>
    public static bool TryParse(byte[] payload, int offset, int count, out byte[] nonce2, out byte[] serverRecipientId)
    {
        nonce2 = null;
        serverRecipientId = null;
        try
        {
            CborReader r = AceMapReader.Open(payload, offset, count);
            ulong key;
            while (r != null && AceMapReader.NextKey(r, out key))
            {
                if ((key == AceParameters.Nonce2 || key == AceParameters.AceServerRecipientId) && r.PeekState() == CborReaderState.ByteString)
                {
                    byte[] v = r.ReadByteString();
                    if (key == AceParameters.Nonce2)
                    {
                        nonce2 = v;
                    }
                    else
                    {
                        serverRecipientId = v;
                    }
                }
                else
                {
                    r.SkipValue();
                }
            }
        }
        catch (CborException)
        {
            nonce2 = null;
        }

        if (nonce2 == null || serverRecipientId == null)
        {
            nonce2 = null;
            serverRecipientId = null;
            return false;
        }

        return true;
    }
}
