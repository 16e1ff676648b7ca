using System;

namespace PopIoT.Core.Dtls;

/// <summary>
/// The last flight an endpoint sent, kept whole so a timeout or the peer's retransmission resends it (RFC 6347 §4.2.4):
/// handshake message bodies with their type, message_seq and epoch, and the ChangeCipherSpec. Records are made afresh
/// from it each time (new record sequence numbers, RFC 6347 §4.2.4) and fragmented to the datagram size.
/// Entries are laid out as epoch(1) content_type(1) msg_type(1) message_seq(2) length(2) body.
/// </summary>
internal sealed class DtlsFlight
{
    internal const int EntryHeader = 7;

    private readonly byte[] _data;
    private int _length;

    internal DtlsFlight(int capacity)
    {
        _data = new byte[capacity];
    }

    internal byte[] Data
    {
        get { return _data; }
    }

    internal int Length
    {
        get { return _length; }
    }

    internal void Clear()
    {
        Array.Clear(_data, 0, _length);
        _length = 0;
    }

    /// <summary>Starts a handshake message entry and returns where its body goes; <see cref="EndMessage"/> closes it.</summary>
    internal int BeginMessage(int epoch, int type, int messageSeq)
    {
        _data[_length] = (byte)epoch;
        _data[_length + 1] = DtlsContentType.Handshake;
        _data[_length + 2] = (byte)type;
        DtlsWire.Write16(_data, _length + 3, messageSeq);
        return _length + EntryHeader;
    }

    /// <summary>Closes the entry started by <see cref="BeginMessage"/> with its body ending at <paramref name="end"/>.</summary>
    internal void EndMessage(int end)
    {
        DtlsWire.Write16(_data, _length + 5, end - _length - EntryHeader);
        _length = end;
    }

    /// <summary>Room left for a message body after the next entry header.</summary>
    internal int Room
    {
        get { return _data.Length - _length - EntryHeader; }
    }

    internal void AddChangeCipherSpec()
    {
        _data[_length] = 0;
        _data[_length + 1] = DtlsContentType.ChangeCipherSpec;
        _data[_length + 2] = 0;
        DtlsWire.Write16(_data, _length + 3, 0);
        DtlsWire.Write16(_data, _length + 5, 0);
        _length += EntryHeader;
    }
}
