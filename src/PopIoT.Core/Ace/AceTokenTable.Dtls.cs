using System;

using PopIoT.Core.Crypto;

namespace PopIoT.Core.Ace;

/// <summary>
/// The coap_dtls side of the token table (RFC 9202 §3.3–§3.4): a slot whose token's key is a DTLS PSK, and the DTLS
/// session bound to it. A session is bound only once its handshake finished (the client proved it holds the PSK), so
/// a captured token or kid presented by someone else never moves the binding away from the session that holds it. In
/// RPK mode (RFC 9202 §3.2) the PSK room holds SHA-256 over the client's public key instead, under another mark, so
/// that it is never handed out as a PSK and a kid never names it.
/// </summary>
internal sealed partial class AceTokenTable
{
    // Where a slot's DTLS area starts: after the permissions (computed, so an OSCORE-only table keeps no field for it).
    private int DtlsAt
    {
        get { return _maxPsk > 0 ? _stride - PskAt - _maxPsk : _stride; }
    }

    /// <summary>The longest PSK a slot keeps (0 when the RS does not serve coap_dtls).</summary>
    public int MaxPskLength
    {
        get { return _maxPsk; }
    }

    // The DTLS mark of a PSK slot and of an RPK slot (RFC 9202 §3.3 and §3.2).
    private const byte PskMark = 1;
    private const byte RpkMark = 2;

    /// <summary>Whether the slot holds an RPK-mode token (RFC 9202 §3.2): its room keeps the key's SHA-256, not a PSK.</summary>
    public bool IsRpk(int slot)
    {
        return _maxPsk > 0 && _bytes[(slot * _stride) + DtlsAt + DtlsMarkAt] == RpkMark;
    }

    /// <summary>
    /// The slot of the token whose PoP key id this is, among the tokens of one profile (DTLS or OSCORE), or -1. RPK
    /// slots have no kid to find (<see cref="FindRpk"/>).
    /// </summary>
    public int FindPopId(byte[] buffer, int offset, int length, bool dtls)
    {
        for (int i = 0; i < Capacity; i++)
        {
            int at = i * _stride;
            if (InUse(i) && IsDtls(i) == dtls && !IsRpk(i) && PopIoT.Core.Oscore.SecurityContextDerivation.BytesEqual(_bytes, at + PopIdAt, _bytes[at + PopIdLengthAt], buffer, offset, length))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Stores a coap_dtls token's PSK in a slot (its token values are set by the caller); nobody has used it yet.</summary>
    public void EstablishDtls(int slot, ByteRange psk)
    {
        int at = (slot * _stride) + DtlsAt;
        CryptoBytes.Clear(_bytes, at + PskAt, _maxPsk);
        psk.CopyTo(_bytes, at + PskAt);
        _bytes[at + PskLengthAt] = (byte)psk.Count;
        WritePeer(slot, SessionPeerAt, -1);
        WritePeer(slot, HandshakePeerAt, -1);
        _bytes[at + DtlsMarkAt] = PskMark;
        _numbers[(slot * NumbersPerSlot) + VerifiedAtAt] = NeverVerified;
        Touch(slot);
    }

    /// <summary>Stores an RPK-mode token's key id (<see cref="AceRpkKeyId"/>) in a slot; its token values are set by the caller.</summary>
    public void EstablishRpk(int slot, byte[] keyId)
    {
        EstablishDtls(slot, new ByteRange(keyId, 0, AceRpkKeyId.Length));
        _bytes[(slot * _stride) + DtlsAt + DtlsMarkAt] = RpkMark;
        SetPopId(slot, keyId, 0, 0);
    }

    /// <summary>The slot of the RPK-mode token whose key has this id, or -1 (compared in constant time).</summary>
    public int FindRpk(byte[] keyId)
    {
        for (int i = 0; i < Capacity; i++)
        {
            int at = (i * _stride) + DtlsAt;
            if (InUse(i) && IsRpk(i) && CryptoBytes.FixedTimeEquals(_bytes, at + PskAt, keyId, 0, AceRpkKeyId.Length))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Copies a DTLS slot's PSK into <paramref name="key"/>; returns its length, or 0 when it does not fit or the slot is RPK's.</summary>
    public int CopyPsk(int slot, ByteRange key)
    {
        int at = (slot * _stride) + DtlsAt;
        int n = _bytes[at + PskLengthAt];
        if (n > key.Count || IsRpk(slot))
        {
            return 0;
        }

        Array.Copy(_bytes, at + PskAt, key.Buffer, key.Offset, n);
        return n;
    }

    /// <summary>Whether a DTLS slot's PSK is these bytes (constant time in the key's bytes).</summary>
    public bool PskEquals(int slot, ByteRange key)
    {
        int at = (slot * _stride) + DtlsAt;
        int n = _bytes[at + PskLengthAt];
        return n == key.Count && !IsRpk(slot) && CryptoBytes.FixedTimeEquals(_bytes, at + PskAt, key.Buffer, key.Offset, n);
    }

    /// <summary>Notes that a handshake with <paramref name="peer"/> took this slot's PSK (RFC 9202 §3.3); bound once it finishes.</summary>
    public void BeginHandshake(int slot, int peer)
    {
        WritePeer(slot, HandshakePeerAt, peer);
    }

    /// <summary>
    /// The handshake with <paramref name="peer"/> finished: the slot whose PSK it took is now bound to that session
    /// (one session per token: a session bound before, from the same client reconnecting, loses it). Returns the slot, or -1.
    /// </summary>
    public int Connected(int peer)
    {
        for (int i = 0; i < Capacity; i++)
        {
            if (InUse(i) && IsDtls(i) && ReadPeer(i, HandshakePeerAt) == peer)
            {
                WritePeer(i, SessionPeerAt, peer);
                WritePeer(i, HandshakePeerAt, -1);
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Binds the slot to the established session with <paramref name="peer"/> (a raw-public-key handshake, whose key the
    /// host matched to the slot when it finished); a session bound before loses it.
    /// </summary>
    public void BindSession(int slot, int peer)
    {
        WritePeer(slot, SessionPeerAt, peer);
        if (ReadPeer(slot, HandshakePeerAt) == peer)
        {
            WritePeer(slot, HandshakePeerAt, -1);
        }
    }

    /// <summary>The session or handshake with <paramref name="peer"/> ended: no slot stays bound to it.</summary>
    public void Disconnected(int peer)
    {
        for (int i = 0; i < Capacity; i++)
        {
            if (InUse(i) && IsDtls(i))
            {
                if (ReadPeer(i, SessionPeerAt) == peer)
                {
                    WritePeer(i, SessionPeerAt, -1);
                }

                if (ReadPeer(i, HandshakePeerAt) == peer)
                {
                    WritePeer(i, HandshakePeerAt, -1);
                }
            }
        }
    }

    /// <summary>The slot whose token is bound to the established session with <paramref name="peer"/>, or -1 (RFC 9202 §3.4).</summary>
    public int SlotOfSession(int peer)
    {
        if (_maxPsk == 0 || peer < 0)
        {
            return -1;
        }

        for (int i = 0; i < Capacity; i++)
        {
            if (InUse(i) && IsDtls(i) && ReadPeer(i, SessionPeerAt) == peer)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Whether the slot is kept from eviction now (its key proved possession within the protection time).</summary>
    public bool IsKept(int slot, long now, long protectionSeconds)
    {
        return IsProtected(slot, now, protectionSeconds);
    }

    private int ReadPeer(int slot, int field)
    {
        int at = (slot * _stride) + DtlsAt + field;
        return (_bytes[at] << 24) | (_bytes[at + 1] << 16) | (_bytes[at + 2] << 8) | _bytes[at + 3];
    }

    private void WritePeer(int slot, int field, int peer)
    {
        int at = (slot * _stride) + DtlsAt + field;
        _bytes[at] = (byte)(peer >> 24);
        _bytes[at + 1] = (byte)(peer >> 16);
        _bytes[at + 2] = (byte)(peer >> 8);
        _bytes[at + 3] = (byte)peer;
    }
}
