using System;

using PopIoT.Core.Crypto;

namespace PopIoT.Core.Dtls;

/// <summary>
/// Writes and opens DTLS 1.2 records (RFC 6347 §4.1) for the AES-128-CCM PSK suites (RFC 6655 §3): epoch 0 in the
/// clear, later epochs with a 12-byte nonce of the 4-byte implicit IV and the 8-byte explicit nonce epoch ‖ seq_num,
/// which the record carries in front of the ciphertext, and the additional data seq_num ‖ type ‖ version ‖ length
/// of RFC 5246 §6.2.3.3 with DTLS's epoch ‖ seq_num as seq_num. One AES-CCM object is keyed for each record from the
/// session's key block and cleared after, so sessions hold raw keys only; nothing is allocated per record.
/// </summary>
internal sealed class DtlsRecordLayer : IDisposable
{
    /// <summary>The explicit part of the CCM nonce carried in each protected record (RFC 6655 §3).</summary>
    internal const int ExplicitNonceLength = 8;

    // RFC 6655 §3: CCM with a 12-byte nonce, so the length field L is 3.
    private const int CcmLengthSize = 3;
    private const int KeyLength = 16;

    private readonly IRekeyableAead _aead;
    private readonly byte[] _nonce = new byte[12];
    private readonly byte[] _aad = new byte[13];

    internal DtlsRecordLayer(ICryptoProvider crypto)
    {
        IRekeyableAeadProvider rekeyable = crypto as IRekeyableAeadProvider;
        _aead = rekeyable != null ? rekeyable.CreateRekeyableAesCcm(CcmLengthSize) : new AesCcm(CcmLengthSize);
    }

    /// <summary>Records whose tag did not verify (dropped silently, RFC 6347 §4.1.2.7).</summary>
    internal int AuthenticationFailures { get; private set; }

    /// <summary>Records dropped as replays or as too old for the window (RFC 6347 §4.1.2.6).</summary>
    internal int Replays { get; private set; }

    /// <summary>The bytes a record adds to its plaintext: the header, and for a protected epoch the explicit nonce and tag.</summary>
    internal static int Overhead(int epoch, int tagSize)
    {
        return DtlsWire.RecordHeaderLength + (epoch == 0 ? 0 : ExplicitNonceLength + tagSize);
    }

    /// <summary>
    /// Writes one record with the session's write epoch and next sequence number at <paramref name="offset"/>.
    /// </summary>
    /// <returns>The record length, or −1 when the 48-bit sequence numbers are used up (RFC 6347 §4.1: never wrap).</returns>
    internal int Write(DtlsSession session, int type, ByteRange fragment, byte[] output, int offset)
    {
        if (session.WriteSequence > DtlsWire.MaxSequence)
        {
            return -1;
        }

        long sequence = session.WriteSequence++;
        int epoch = session.WriteEpoch;
        int count = fragment.Count;
        if (epoch == 0)
        {
            DtlsWire.WriteRecordHeader(output, offset, type, DtlsWire.Version12, 0, sequence, count);
            fragment.CopyTo(output, offset + DtlsWire.RecordHeaderLength);
            return DtlsWire.RecordHeaderLength + count;
        }

        int tag = session.TagSize;
        int length = ExplicitNonceLength + count + tag;
        DtlsWire.WriteRecordHeader(output, offset, type, DtlsWire.Version12, epoch, sequence, length);

        // RFC 6655 §3: nonce_explicit is the 64-bit epoch ‖ sequence number, sent in the record.
        int body = offset + DtlsWire.RecordHeaderLength;
        Array.Copy(output, offset + 3, output, body, ExplicitNonceLength);
        Prepare(session.Secrets, session.WriteIvOffset, output, offset, count);
        _aead.SetKey(session.Secrets, session.WriteKeyOffset, KeyLength, tag);
        _aead.Encrypt(new ByteRange(_nonce, 0, 12), fragment, output, body + ExplicitNonceLength, output, body + ExplicitNonceLength + count, new ByteRange(_aad, 0, 13));
        _aead.ClearKey();
        return DtlsWire.RecordHeaderLength + length;
    }

    /// <summary>
    /// Checks the replay window, authenticates and decrypts a protected record of the session's read epoch, and only
    /// then marks it received.
    /// </summary>
    /// <param name="session">The session; its read epoch must equal the record's epoch.</param>
    /// <param name="record">The whole record, header included (its length field already checked against the datagram).</param>
    /// <param name="output">Receives the plaintext.</param>
    /// <param name="offset">Where to write it.</param>
    /// <returns>The plaintext length, or −1 when the record was dropped (replayed, too short or not authentic).</returns>
    internal int Open(DtlsSession session, ByteRange record, byte[] output, int offset)
    {
        byte[] b = record.Buffer;
        int at = record.Offset;
        long sequence = DtlsWire.Read48(b, at + 5);
        int tag = session.TagSize;
        int count = record.Count - DtlsWire.RecordHeaderLength - ExplicitNonceLength - tag;
        if (count < 0 || count > output.Length - offset)
        {
            AuthenticationFailures++;
            return -1;
        }

        if (!session.Window.IsFresh(sequence))
        {
            Replays++;
            return -1;
        }

        int body = at + DtlsWire.RecordHeaderLength;
        Prepare(session.Secrets, session.ReadIvOffset, b, at, count);

        // The explicit nonce must be the header's epoch ‖ seq_num, or a peer could make two records share a nonce.
        bool sameNonce = CryptoBytes.FixedTimeEquals(b, body, _aad, 0, ExplicitNonceLength);
        _aead.SetKey(session.Secrets, session.ReadKeyOffset, KeyLength, tag);
        bool valid = _aead.Decrypt(new ByteRange(_nonce, 0, 12), new ByteRange(b, body + ExplicitNonceLength, count), b, body + ExplicitNonceLength + count, output, offset, new ByteRange(_aad, 0, 13));
        _aead.ClearKey();
        if (!valid || !sameNonce)
        {
            // RFC 6347 §4.1.2.7: invalid records are discarded silently; the window is not touched.
            Array.Clear(output, offset, count);
            AuthenticationFailures++;
            return -1;
        }

        session.Window.Accept(sequence);
        return count;
    }

    public void Dispose()
    {
        _aead.Dispose();
        Array.Clear(_nonce, 0, 12);
        Array.Clear(_aad, 0, 13);
    }

    private void Prepare(byte[] secrets, int ivOffset, byte[] header, int at, int plaintextLength)
    {
        // RFC 6655 §3: nonce = client/server_write_IV (4 bytes) ‖ nonce_explicit (8 bytes) = epoch ‖ seq_num.
        Array.Copy(secrets, ivOffset, _nonce, 0, 4);
        Array.Copy(header, at + 3, _nonce, 4, ExplicitNonceLength);

        // RFC 5246 §6.2.3.3 with RFC 6347 §4.1.2.1: additional_data = epoch ‖ seq_num ‖ type ‖ version ‖ length (plaintext).
        Array.Copy(header, at + 3, _aad, 0, 8);
        _aad[8] = header[at];
        _aad[9] = header[at + 1];
        _aad[10] = header[at + 2];
        DtlsWire.Write16(_aad, 11, plaintextLength);
    }
}
