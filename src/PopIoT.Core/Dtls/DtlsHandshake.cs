using System;

namespace PopIoT.Core.Dtls;

/// <summary>
/// One entry of the engine's fixed handshake pool: everything a PSK handshake in progress needs beyond its session
/// slot, from the verified ClientHello (server) or Connect (client) until Finished, then erased and returned. The
/// pool size caps half-open handshakes.
/// </summary>
internal sealed class DtlsHandshake
{
    // Client states (RFC 6347 §4.2.4 Figure 1, the client's side).
    internal const int ClientWaitHello = 1;
    internal const int ClientWaitHelloDone = 2;
    internal const int ClientWaitChangeCipherSpec = 3;
    internal const int ClientWaitFinished = 4;

    // Server states, after the cookie verified.
    internal const int ServerWaitKeyExchange = 11;
    internal const int ServerWaitChangeCipherSpec = 12;
    internal const int ServerWaitFinished = 13;

    internal readonly DtlsTranscript Transcript = new DtlsTranscript();
    internal readonly DtlsFlight Flight;
    internal readonly DtlsReassembler Reassembler;
    internal readonly byte[] Psk;
    internal readonly byte[] Identity;
    internal readonly byte[] Cookie = new byte[255];
    internal readonly byte[] Hash = new byte[32];

    internal bool InUse;
    internal int Session = -1;
    internal int State;
    internal int NextSendSeq;
    internal long Epoch0Sequence;
    internal long RetransmitAt;
    internal int RetransmitInterval;
    internal long TimeoutAt;
    internal int Suite;
    internal bool SecureRenegotiation;
    internal int PskLength;
    internal int IdentityLength;
    internal int CookieLength;

    // The message_seq of the last message of the peer's latest flight: a repeat of it means our flight was lost.
    internal int PeerFlightEnd = -1;

    internal DtlsHandshake(DtlsSettings settings)
    {
        Psk = new byte[settings.MaxPskLength];
        Identity = new byte[settings.MaxIdentityLength];
        Flight = new DtlsFlight(settings.MaxIdentityLength + 512);
        Reassembler = new DtlsReassembler(settings.MaxHandshakeMessage, settings.OutOfOrderMessages);
    }

    /// <summary>Erases the keys, identity and flight, and returns the entry to the pool.</summary>
    internal void Release()
    {
        Array.Clear(Psk, 0, Psk.Length);
        Array.Clear(Identity, 0, Identity.Length);
        Array.Clear(Cookie, 0, Cookie.Length);
        Array.Clear(Hash, 0, Hash.Length);
        Transcript.Reset();
        Flight.Clear();
        Reassembler.Reset(0);
        InUse = false;
        Session = -1;
        State = 0;
        NextSendSeq = 0;
        Epoch0Sequence = 0;
        RetransmitAt = 0;
        RetransmitInterval = 0;
        TimeoutAt = 0;
        Suite = 0;
        SecureRenegotiation = false;
        PskLength = 0;
        IdentityLength = 0;
        CookieLength = 0;
        PeerFlightEnd = -1;
    }
}
