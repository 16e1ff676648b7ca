using System;

namespace PopIoT.Core.Dtls;

/// <summary>
/// The TLS 1.2 key derivations over <see cref="DtlsPrf"/> into a session's secrets: the PSK premaster secret
/// (RFC 4279 §2), the extended master secret (RFC 7627 §4), the key block (RFC 5246 §6.3), Finished's verify_data
/// (RFC 5246 §7.4.9) and the keying-material exporter (RFC 5705 §4).
/// </summary>
internal static class DtlsKeySchedule
{
    internal const int VerifyDataLength = 12;

    private static readonly byte[] ExtendedMasterSecretLabel = Ascii("extended master secret");
    private static readonly byte[] KeyExpansionLabel = Ascii("key expansion");
    private static readonly byte[] ClientFinishedLabel = Ascii("client finished");
    private static readonly byte[] ServerFinishedLabel = Ascii("server finished");
    private static readonly byte[] MasterSecretLabel = Ascii("master secret");

    /// <summary>
    /// Writes the premaster secret of plain PSK: uint16 N, N zero bytes, uint16 N, the key (RFC 4279 §2).
    /// </summary>
    /// <returns>Its length, 4 + 2N.</returns>
    internal static int WritePremaster(ByteRange psk, byte[] output, int offset)
    {
        int n = psk.Count;
        DtlsWire.Write16(output, offset, n);
        Array.Clear(output, offset + 2, n);
        DtlsWire.Write16(output, offset + 2 + n, n);
        psk.CopyTo(output, offset + 4 + n);
        return 4 + (2 * n);
    }

    /// <summary>
    /// master_secret = PRF(pre_master_secret, "extended master secret", session_hash)[0..47] (RFC 7627 §4), then
    /// key_block = PRF(master_secret, "key expansion", server_random + client_random) (RFC 5246 §6.3).
    /// </summary>
    internal static void DeriveKeys(DtlsPrf prf, ByteRange premaster, ByteRange sessionHash, byte[] secrets)
    {
        prf.Begin();
        prf.Append(ByteRange.Of(ExtendedMasterSecretLabel));
        prf.Append(sessionHash);
        prf.Expand(premaster, secrets, DtlsSession.MasterSecret, 48);

        prf.Begin();
        prf.Append(ByteRange.Of(KeyExpansionLabel));
        prf.Append(new ByteRange(secrets, DtlsSession.ServerRandom, 32));
        prf.Append(new ByteRange(secrets, DtlsSession.ClientRandom, 32));
        prf.Expand(new ByteRange(secrets, DtlsSession.MasterSecret, 48), secrets, 0, DtlsSession.KeyBlockLength);
    }

    /// <summary>verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))[0..11] (RFC 5246 §7.4.9).</summary>
    internal static void VerifyData(DtlsPrf prf, byte[] secrets, bool client, ByteRange handshakeHash, byte[] output, int offset)
    {
        prf.Begin();
        prf.Append(ByteRange.Of(client ? ClientFinishedLabel : ServerFinishedLabel));
        prf.Append(handshakeHash);
        prf.Expand(new ByteRange(secrets, DtlsSession.MasterSecret, 48), output, offset, VerifyDataLength);
    }

    /// <summary>
    /// PRF(master_secret, label, client_random + server_random [+ uint16 context length + context]) (RFC 5705 §4).
    /// A context whose buffer is null means "no context", which differs from an empty one.
    /// </summary>
    /// <returns>False when the label is one TLS reserves (RFC 5705 §4) or the label and context do not fit the PRF buffer.</returns>
    internal static bool Export(DtlsPrf prf, byte[] secrets, ByteRange label, ByteRange context, ByteRange output)
    {
        if (IsReserved(label))
        {
            return false;
        }

        prf.Begin();
        bool ok = prf.Append(label) && prf.Append(new ByteRange(secrets, DtlsSession.ClientRandom, 64));
        if (context.Buffer != null)
        {
            ok = ok && context.Count <= 0xFFFF && prf.AppendByte(context.Count >> 8) && prf.AppendByte(context.Count) && prf.Append(context);
        }

        if (!ok)
        {
            prf.Begin();
            return false;
        }

        prf.Expand(new ByteRange(secrets, DtlsSession.MasterSecret, 48), output.Buffer, output.Offset, output.Count);
        return true;
    }

    private static bool IsReserved(ByteRange label)
    {
        return Same(label, ClientFinishedLabel) || Same(label, ServerFinishedLabel) || Same(label, MasterSecretLabel)
            || Same(label, KeyExpansionLabel) || Same(label, ExtendedMasterSecretLabel);
    }

    private static bool Same(ByteRange a, byte[] b)
    {
        if (a.Count != b.Length)
        {
            return false;
        }

        for (int i = 0; i < b.Length; i++)
        {
            if (a.Buffer[a.Offset + i] != b[i])
            {
                return false;
            }
        }

        return true;
    }

    private static byte[] Ascii(string text)
    {
        byte[] b = new byte[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            b[i] = (byte)text[i];
        }

        return b;
    }
}
