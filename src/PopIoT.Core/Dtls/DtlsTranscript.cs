using PopIoT.Core.Crypto;

namespace PopIoT.Core.Dtls;

/// <summary>
/// The running hash of the handshake messages (RFC 5246 §7.4.9) with DTLS's 12-byte headers, each message as if sent
/// in one fragment and without the first ClientHello and the HelloVerifyRequest (RFC 6347 §4.2.6). A copy of the
/// running state gives the hash at any point (the session_hash of RFC 7627 §3 after ClientKeyExchange, the Finished
/// hashes) without keeping the messages.
/// </summary>
internal sealed class DtlsTranscript
{
    private readonly Sha256 _hash = new Sha256();
    private readonly Sha256 _fork = new Sha256();
    private readonly byte[] _header = new byte[DtlsWire.HandshakeHeaderLength];

    internal void Reset()
    {
        _hash.Reset();
        _fork.Reset();
    }

    /// <summary>Adds one whole handshake message.</summary>
    internal void Add(int type, int messageSeq, ByteRange body)
    {
        DtlsWire.WriteHandshakeHeader(_header, 0, type, body.Count, messageSeq, 0, body.Count);
        _hash.Update(_header, 0, DtlsWire.HandshakeHeaderLength);
        _hash.Update(body.Buffer, body.Offset, body.Count);
    }

    /// <summary>Writes the hash of everything added so far; the transcript goes on.</summary>
    internal void Current(byte[] output, int offset)
    {
        _hash.CopyStateTo(_fork);
        _fork.Final(output, offset);
    }
}
