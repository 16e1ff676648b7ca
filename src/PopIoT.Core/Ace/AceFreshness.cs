using PopIoT.Core.Crypto;
using PopIoT.Core.Cwt;
using PopIoT.Core.Device;

namespace PopIoT.Core.Ace;

/// <summary>
/// What lets a clockless resource server judge token freshness (RFC 9200 §5.10.3, §5.3):
/// <list type="bullet">
/// <item>exi tokens carry the AS's sequence number for this RS in cti. The RS keeps the highest number of a token that
/// expired, was replaced or was evicted, and treats every token at or below it as expired (RFC 9200 §5.10.3): the RS
/// cannot tell when such a token was first verified, so taking it again would restart its lifetime.</item>
/// <item>cnonces sent in AS Request Creation Hints, remembered in a small ring; a token carrying a cnonce must match one.</item>
/// <item>The numbers survive a reboot through <see cref="IDeviceStorage"/> (docs/ace-rs.md, "Persistence"): the highest
/// number burnt or taken is written when it moves and burnt at start. While it is not safely stored (unreadable at
/// start, or a write failed) no exi token is taken: a clockless RS that forgot it would accept a captured old token
/// again (RFC 9200 §5.10.3).</item>
/// </list>
/// Fixed memory: 8 bytes per remembered cnonce, three longs and a 12-byte record buffer.
/// </summary>
internal sealed class AceFreshness
{
    /// <summary>The cnonce length this RS issues.</summary>
    public const int CnonceLength = 8;

    private readonly byte[] _cnonces;
    private int _next;
    private long _highestExpired = -1;
    private readonly byte[] _record = new byte[RecordLength];
    private IDeviceStorage _storage;
    private long _highestAdmitted = -1;
    private long _persisted = -1;
    private bool _loadFailed;
    private bool _writeFailed;

    // The record: the number as 8 bytes big-endian, then the complement of its low 4 bytes, so a torn or erased record
    // (all 0x00 or all 0xFF) is unreadable rather than a lower number.
    private const int RecordLength = 12;

    public AceFreshness(int cnonceSlots)
    {
        _cnonces = new byte[cnonceSlots * CnonceLength];
    }

    /// <summary>Whether this RS issues cnonces (clockless, or its clock not yet known, with at least one slot).</summary>
    public bool IssuesCnonces
    {
        get { return _cnonces.Length > 0 && !_clockKnown; }
    }

    // RFC 9200 §5.10.1.1: an RS that knows the time asks for no cnonce; a token carrying one is judged by exp then.
    private bool _clockKnown;

    /// <summary>Stops issuing and checking cnonces: the wall clock is known.</summary>
    public void ClockKnown()
    {
        _clockKnown = true;
    }

    /// <summary>The ring holding the cnonces (the last one issued is at <see cref="IssueCnonce"/>'s offset).</summary>
    public byte[] Cnonces
    {
        get { return _cnonces; }
    }

    /// <summary>
    /// The cti of an exi token read as the AS's sequence number for this RS, or -1 when it is not one. RFC 9200 §5.10.3:
    /// cti is "the identifier of the RS" followed by the number; the identifier is this RS's audience in UTF-8. A cti of
    /// 1 to 7 bytes alone is read as the bare number (an AS that names the RS otherwise). The number is big-endian, 1 to 7 bytes.
    /// </summary>
    public static long CtiSequence(CwtClaims c, byte[] rsIdentifier)
    {
        if (!c.Has(CwtClaimKey.Cti))
        {
            return -1;
        }

        int start = c.CtiOffset;
        int length = c.CtiLength;
        int idLength = rsIdentifier.Length;
        if (length > idLength && length - idLength <= 7 && CryptoBytes.FixedTimeEquals(c.Buffer, start, rsIdentifier, 0, idLength))
        {
            start += idLength;
            length -= idLength;
        }

        if (length < 1 || length > 7)
        {
            return -1;
        }

        long v = 0;
        for (int i = 0; i < length; i++)
        {
            v = (v << 8) | c.Buffer[start + i];
        }

        return v;
    }

    /// <summary>Draws a new cnonce into the ring and returns its offset in <see cref="Cnonces"/>.</summary>
    public int IssueCnonce(IRandomSource random)
    {
        int at = _next * CnonceLength;
        random.GetBytes(_cnonces, at, CnonceLength);
        _next = (_next + 1) % (_cnonces.Length / CnonceLength);
        return at;
    }

    /// <summary>Whether a token's cnonce is one this RS issued and still remembers (constant-time compare).</summary>
    public bool CnonceKnown(byte[] b, int offset, int length)
    {
        if (length != CnonceLength)
        {
            return false;
        }

        bool found = false;
        for (int i = 0; i + CnonceLength <= _cnonces.Length; i += CnonceLength)
        {
            found |= CryptoBytes.FixedTimeEquals(_cnonces, i, b, offset, CnonceLength);
        }

        return found;
    }

    /// <summary>The highest sequence number of an exi token that expired, was replaced or was evicted; -1 before any.</summary>
    public long HighestExpired
    {
        get { return _highestExpired; }
    }

    /// <summary>
    /// Whether an exi token with this sequence number may be stored. RFC 9200 §5.10.3: the RS treats every token
    /// numbered at or below the highest expired one as expired.
    /// </summary>
    public bool SequenceAcceptable(long seq)
    {
        return seq > _highestExpired;
    }

    /// <summary>Whether the number burnt at the next boot is not safely in storage, so no exi token may be taken.</summary>
    public bool StateUnavailable
    {
        get { return _loadFailed || _writeFailed; }
    }

    /// <summary>
    /// Keeps in <paramref name="storage"/> from now on the number every exi token at or below which counts as expired
    /// after a reboot: the highest one burnt or taken. RFC 9200 §5.10.3: a rebooted RS cannot tell when it first verified
    /// a token it held, so a token re-posted after the reboot would start its lifetime again; all of them are burnt at
    /// start. A missing record is a first boot. An unreadable one leaves the state unavailable: exi tokens are refused
    /// until a write succeeds. Returns false when the stored state could not be read or written.
    /// </summary>
    public bool Attach(IDeviceStorage storage)
    {
        _storage = storage;
        int n = storage.Read(DeviceRecords.ExiSequence, _record, 0, RecordLength);
        if (n == DeviceStorageStatus.Missing)
        {
            _persisted = -1;
            _loadFailed = false;
            return PersistIfMoved();
        }

        long stored;
        if (n != RecordLength || !Decode(out stored))
        {
            // Fail closed for this boot: writing a number now could replace a higher one the medium still holds.
            _loadFailed = true;
            return false;
        }

        _persisted = stored;
        if (stored > _highestExpired)
        {
            _highestExpired = stored;
        }

        _loadFailed = false;
        return PersistIfMoved();
    }

    /// <summary>
    /// Records that an exi token with this number is about to be taken (-1: none), in storage first: false when the write
    /// failed, and the token must then be refused (a reboot would forget it was ever taken).
    /// </summary>
    public bool Admit(long seq)
    {
        if (seq < 0)
        {
            return true;
        }

        if (seq > _highestAdmitted)
        {
            _highestAdmitted = seq;
        }

        return PersistIfMoved();
    }

    /// <summary>Tries again to store the number after a failed write (called on every Tick while unavailable).</summary>
    public void RetryPersist()
    {
        if (_writeFailed)
        {
            PersistIfMoved();
        }
    }

    // Written only when the number moves (a new highest token taken, or burnt), never per request.
    private bool PersistIfMoved()
    {
        if (_storage == null)
        {
            return true;
        }

        if (_loadFailed)
        {
            return false;
        }

        long v = _highestExpired > _highestAdmitted ? _highestExpired : _highestAdmitted;
        if (v <= _persisted)
        {
            _writeFailed = false;
            return true;
        }

        long x = v;
        for (int i = 7; i >= 0; i--)
        {
            _record[i] = (byte)x;
            x >>= 8;
        }

        for (int i = 0; i < 4; i++)
        {
            _record[8 + i] = (byte)~_record[4 + i];
        }

        _writeFailed = !_storage.Write(DeviceRecords.ExiSequence, _record, 0, RecordLength);
        if (!_writeFailed)
        {
            _persisted = v;
        }

        return !_writeFailed;
    }

    private bool Decode(out long value)
    {
        value = 0;
        for (int i = 0; i < 8; i++)
        {
            value = (value << 8) | _record[i];
        }

        for (int i = 0; i < 4; i++)
        {
            if ((byte)~_record[4 + i] != _record[8 + i])
            {
                return false;
            }
        }

        return value >= 0;
    }

    /// <summary>Whether a stored token's number (-1: not an exi token) now counts as expired.</summary>
    public bool IsBurnt(long seq)
    {
        return seq >= 0 && seq <= _highestExpired;
    }

    /// <summary>
    /// Burns the sequence number of an exi token that leaves the RS: its exi ran out, or it was replaced or evicted
    /// (the RS keeps no first-verification time for it, so taking it again would restart its lifetime). -1 is ignored.
    /// </summary>
    public void Expired(long seq)
    {
        if (seq > _highestExpired)
        {
            _highestExpired = seq;

            PersistIfMoved();
        }
    }
}
