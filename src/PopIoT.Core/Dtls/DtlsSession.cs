using System;

namespace PopIoT.Core.Dtls;

/// <summary>
/// One slot of the engine's fixed session table: a DTLS association with one peer (RFC 6347 §4.2.8), from the
/// verified ClientHello (server) or Connect (client) until close or eviction. Its keys, master secret and randoms
/// live in one array laid out by the offsets below; <see cref="Erase"/> zeroes them (docs/dtls.md, keys erased on drop).
/// While a handshake runs, <see cref="Handshake"/> names its entry in the handshake pool.
/// </summary>
internal sealed class DtlsSession
{
    internal const int Free = 0;
    internal const int Handshaking = 1;
    internal const int Established = 2;

    // RFC 5246 §6.3 key block for AEAD suites (no MAC keys): client_write_key, server_write_key, client/server IV.
    internal const int ClientKey = 0;
    internal const int ServerKey = 16;
    internal const int ClientIv = 32;
    internal const int ServerIv = 36;
    internal const int KeyBlockLength = 40;

    // RFC 5705 §4: the exporter needs the master secret and both randoms after the handshake.
    internal const int MasterSecret = 40;
    internal const int ClientRandom = 88;
    internal const int ServerRandom = 120;

    // The server's verify_data, to resend its last flight when the client's last flight comes again (RFC 6347 §4.2.4),
    // with that Finished's message_seq (0xFFFF once the client's data shows it arrived) and the next epoch-0 record
    // sequence number for the ChangeCipherSpec before it, in wire order (uint16, uint48).
    internal const int ServerVerifyData = 152;
    internal const int ResendMessageSeq = 164;
    internal const int ResendSequence = 166;
    internal const int SecretsLength = 172;

    /// <summary>The value of the message_seq at <see cref="ResendMessageSeq"/> when there is nothing to resend.</summary>
    internal const int NoResend = 0xFFFF;

    internal readonly byte[] Secrets = new byte[SecretsLength];
    internal readonly DtlsReplayWindow Window = new DtlsReplayWindow();
    internal int Peer = -1;
    internal int State;
    internal bool IsClient;
    internal int ReadEpoch;
    internal int WriteEpoch;
    internal long WriteSequence;
    internal int TagSize;
    internal long LastUsed;
    internal int Handshake = -1;

    /// <summary>Zeroes every key and returns the slot to the free state.</summary>
    internal void Erase()
    {
        Array.Clear(Secrets, 0, SecretsLength);
        Window.Reset();
        Peer = -1;
        State = Free;
        IsClient = false;
        ReadEpoch = 0;
        WriteEpoch = 0;
        WriteSequence = 0;
        TagSize = 0;
        LastUsed = 0;
        Handshake = -1;
    }

    internal int WriteKeyOffset
    {
        get { return IsClient ? ClientKey : ServerKey; }
    }

    internal int ReadKeyOffset
    {
        get { return IsClient ? ServerKey : ClientKey; }
    }

    internal int WriteIvOffset
    {
        get { return IsClient ? ClientIv : ServerIv; }
    }

    internal int ReadIvOffset
    {
        get { return IsClient ? ServerIv : ClientIv; }
    }
}
