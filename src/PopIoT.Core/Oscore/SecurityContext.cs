using System;

using PopIoT.Core.Crypto;

namespace PopIoT.Core.Oscore;

/// <summary>
/// An OSCORE Security Context (RFC 8613 §3): the Common Context (AEAD algorithm, Common IV, ID Context), the Sender
/// Context (Sender ID, Sender Key, Sender Sequence Number) and the Recipient Context (Recipient ID, Recipient Key,
/// Replay Window). It is built from explicit inputs, as the ACE OSCORE profile (RFC 9203 §3.2) supplies them, and the
/// keys are derived with HKDF-SHA256 (§3.2.1). The derived keys live only inside the provider's keyed AEAD objects;
/// <see cref="Dispose"/> erases them. Everything is allocated here; using the context allocates nothing.
/// </summary>
public sealed class SecurityContext : IDisposable
{
    /// <summary>The default AEAD algorithm: AES-CCM-16-64-128, COSE algorithm 10 (RFC 8613 §3.2).</summary>
    public const int DefaultAlgorithm = 10;

    /// <summary>The largest ID Context accepted (a local bound; RFC 8613 sets none).</summary>
    public const int MaxIdContextLength = 32;

    /// <summary>The Echo value length this server issues (RFC 9175 §2.3 asks for at least 8 unpredictable bytes).</summary>
    public const int EchoLength = 8;

    /// <summary>The default step K of <see cref="ISequenceNumberStore"/> reservations (RFC 8613 Appendix B.1.1).</summary>
    public const int DefaultReserveStep = 64;

    private readonly ICryptoProvider _provider;
    private readonly byte[] _senderId;
    private readonly byte[] _recipientId;
    private readonly byte[] _idContext;
    private readonly byte[] _commonIv;
    private readonly byte[] _echo = new byte[EchoLength];
    private readonly int _algorithm;
    private readonly int _tagLength;
    private readonly ReplayWindow _window;
    private readonly ISequenceNumberStore _store;
    private readonly int _reserveStep;
    private IAeadCipher _senderCipher;
    private IAeadCipher _recipientCipher;
    private long _senderSequenceNumber;
    private long _reservedUntil;
    private bool _freshnessRequired;
    private bool _echoIssued;
    private bool _disposed;

    /// <summary>Creates a context with AES-CCM-16-64-128, a 32-bit replay window and a known (fresh) window.</summary>
    /// <param name="provider">The crypto provider (its AES-CCM is used; HKDF is the managed one).</param>
    /// <param name="masterSecret">The Master Secret (RFC 8613 §3.1).</param>
    /// <param name="masterSalt">The Master Salt, or null/empty for the default.</param>
    /// <param name="senderId">The Sender ID (may be empty).</param>
    /// <param name="recipientId">The Recipient ID (may be empty; must differ from the Sender ID).</param>
    /// <param name="idContext">The ID Context, or null when absent.</param>
    public SecurityContext(ICryptoProvider provider, byte[] masterSecret, byte[] masterSalt, byte[] senderId, byte[] recipientId, byte[] idContext)
        : this(provider, masterSecret, masterSalt, senderId, recipientId, idContext, DefaultAlgorithm, ReplayWindow.DefaultSize, false, null, DefaultReserveStep)
    {
    }

    /// <summary>Creates a context from explicit inputs (RFC 8613 §3.2).</summary>
    /// <param name="provider">The crypto provider.</param>
    /// <param name="masterSecret">The Master Secret.</param>
    /// <param name="masterSalt">The Master Salt, or null/empty for the default.</param>
    /// <param name="senderId">The Sender ID (at most nonce length − 6 = 7 bytes, §3.3).</param>
    /// <param name="recipientId">The Recipient ID (same bound).</param>
    /// <param name="idContext">The ID Context, or null.</param>
    /// <param name="algorithm">The AEAD algorithm: 10 (default), 11, 30 or 31 (AES-CCM-16-*, 13-byte nonce).</param>
    /// <param name="replayWindowSize">The replay window in bits: 32..256 in multiples of 32.</param>
    /// <param name="replayWindowUnknown">True after a reboot: the first request must prove freshness with Echo (Appendix B.1.2).</param>
    /// <param name="sequenceNumberStore">Where the Sender Sequence Number is persisted (Appendix B.1.1), or null.</param>
    /// <param name="reserveStep">K: how many sequence numbers each store write reserves.</param>
    /// <exception cref="ArgumentException">An input is out of range.</exception>
    public SecurityContext(
        ICryptoProvider provider,
        byte[] masterSecret,
        byte[] masterSalt,
        byte[] senderId,
        byte[] recipientId,
        byte[] idContext,
        int algorithm,
        int replayWindowSize,
        bool replayWindowUnknown,
        ISequenceNumberStore sequenceNumberStore,
        int reserveStep)
    {
        if (provider == null || masterSecret == null || masterSecret.Length == 0 || senderId == null || recipientId == null)
        {
            throw new ArgumentException("A provider, a Master Secret, a Sender ID and a Recipient ID are required (RFC 8613 §3.1).");
        }

        int keyLength;
        switch (algorithm)
        {
            // RFC 9053 §4.2: AES-CCM-16-64-128, -16-64-256, -16-128-128, -16-128-256; all with a 13-byte nonce.
            case 10: keyLength = 16; _tagLength = 8; break;
            case 11: keyLength = 32; _tagLength = 8; break;
            case 30: keyLength = 16; _tagLength = 16; break;
            case 31: keyLength = 32; _tagLength = 16; break;
            default: throw new ArgumentException("Unsupported OSCORE AEAD algorithm " + algorithm.ToString() + ".");
        }

        // RFC 8613 §3.3: an ID is at most nonce length − 6 bytes long.
        if (senderId.Length > NonceLength - 6 || recipientId.Length > NonceLength - 6)
        {
            throw new ArgumentException("Sender and Recipient IDs are at most 7 bytes (RFC 8613 §3.3).");
        }

        // RFC 8613 §3.3: the Sender ID must differ from the Recipient ID, or the two directions would share nonces.
        if (BytesEqual(senderId, 0, senderId.Length, recipientId, 0, recipientId.Length))
        {
            throw new ArgumentException("The Sender ID and the Recipient ID must differ (RFC 8613 §3.3).");
        }

        if (idContext != null && idContext.Length > MaxIdContextLength)
        {
            throw new ArgumentException("The ID Context is longer than " + MaxIdContextLength.ToString() + " bytes.");
        }

        if (reserveStep < 1)
        {
            throw new ArgumentException("The reservation step K must be at least 1.");
        }

        _provider = provider;
        _algorithm = algorithm;
        _senderId = Copy(senderId);
        _recipientId = Copy(recipientId);
        _idContext = idContext == null ? null : Copy(idContext);
        _commonIv = new byte[NonceLength];
        _window = new ReplayWindow(replayWindowSize);
        _freshnessRequired = replayWindowUnknown;
        _store = sequenceNumberStore;
        _reserveStep = reserveStep;

        byte[] key = new byte[keyLength];
        Hkdf hkdf = new Hkdf();
        try
        {
            SecurityContextDerivation.Derive(hkdf, masterSecret, masterSalt, _senderId, _idContext, algorithm, true, key, keyLength);
            _senderCipher = provider.CreateAesCcm(key, 0, keyLength, _tagLength, 15 - NonceLength);
            SecurityContextDerivation.Derive(hkdf, masterSecret, masterSalt, _recipientId, _idContext, algorithm, true, key, keyLength);
            _recipientCipher = provider.CreateAesCcm(key, 0, keyLength, _tagLength, 15 - NonceLength);
            SecurityContextDerivation.Derive(hkdf, masterSecret, masterSalt, new byte[0], _idContext, algorithm, false, _commonIv, NonceLength);
        }
        finally
        {
            Array.Clear(key, 0, key.Length);
            hkdf.Dispose();
        }

        if (_store != null)
        {
            // RFC 8613 Appendix B.1.1: start at the stored value and reserve K numbers before using any.
            long stored;
            _senderSequenceNumber = _store.TryLoad(out stored) && stored > 0 ? stored : 0;
            _reservedUntil = _senderSequenceNumber;
        }
    }

    /// <summary>The AEAD nonce length: 13 bytes for every AES-CCM-16-* algorithm.</summary>
    public int NonceLength => 13;

    /// <summary>The authentication tag length of the AEAD algorithm.</summary>
    public int TagLength => _tagLength;

    /// <summary>The AEAD algorithm (COSE identifier).</summary>
    public int Algorithm => _algorithm;

    /// <summary>The Recipient Context's replay window (RFC 8613 §7.4).</summary>
    public ReplayWindow ReplayWindow => _window;

    /// <summary>The next Sender Sequence Number to be used.</summary>
    public long SenderSequenceNumber => _senderSequenceNumber;

    /// <summary>True when the Sender Sequence Number reached 2^40 − 1: the context may not protect more (RFC 8613 §7.2.1).</summary>
    public bool IsExhausted => _senderSequenceNumber >= ReplayWindow.MaxSequenceNumber;

    /// <summary>True while the replay window is unknown and the next request must carry a valid Echo (Appendix B.1.2).</summary>
    public bool FreshnessRequired => _freshnessRequired;

    /// <summary>True once <see cref="Dispose"/> erased the keys.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>The Sender ID length.</summary>
    public int SenderIdLength => _senderId.Length;

    /// <summary>The Recipient ID length.</summary>
    public int RecipientIdLength => _recipientId.Length;

    /// <summary>Whether an ID Context is set.</summary>
    public bool HasIdContext => _idContext != null;

    internal byte[] SenderId => _senderId;

    internal byte[] RecipientId => _recipientId;

    internal byte[] IdContext => _idContext;

    internal byte[] CommonIv => _commonIv;

    internal IAeadCipher SenderCipher => _senderCipher;

    internal IAeadCipher RecipientCipher => _recipientCipher;

    internal byte[] Echo => _echo;

    /// <summary>Whether this context's Recipient ID and ID Context equal the given 'kid' and 'kid context'.</summary>
    /// <param name="kid">The array holding the kid.</param>
    /// <param name="kidOffset">Where it starts.</param>
    /// <param name="kidLength">Its length.</param>
    /// <param name="kidContext">The array holding the kid context, or null when the message has none (any ID Context matches).</param>
    /// <param name="kidContextOffset">Where it starts.</param>
    /// <param name="kidContextLength">Its length.</param>
    /// <returns>True on a match.</returns>
    public bool Matches(byte[] kid, int kidOffset, int kidLength, byte[] kidContext, int kidContextOffset, int kidContextLength)
    {
        if (_disposed || !BytesEqual(_recipientId, 0, _recipientId.Length, kid, kidOffset, kidLength))
        {
            return false;
        }

        if (kidContext == null)
        {
            return true;
        }

        return _idContext != null && BytesEqual(_idContext, 0, _idContext.Length, kidContext, kidContextOffset, kidContextLength);
    }

    /// <summary>Takes the next Sender Sequence Number (RFC 8613 §7.2), persisting a reservation first when one is due.</summary>
    /// <param name="sequenceNumber">The number to use as Partial IV.</param>
    /// <returns>False when the context is exhausted or disposed.</returns>
    internal bool TryTakeSequenceNumber(out long sequenceNumber)
    {
        sequenceNumber = _senderSequenceNumber;
        if (_disposed || IsExhausted)
        {
            return false;
        }

        if (_store != null && sequenceNumber >= _reservedUntil)
        {
            // RFC 8613 Appendix B.1.1: the stored value must be above every number in use before it is used.
            _reservedUntil = sequenceNumber + _reserveStep;
            _store.Save(_reservedUntil);
        }

        _senderSequenceNumber = sequenceNumber + 1;
        return true;
    }

    /// <summary>Draws the Echo value on first use and keeps it until freshness is proven (RFC 9175 §2.4).</summary>
    internal void EnsureEcho()
    {
        if (!_echoIssued)
        {
            _provider.Random.GetBytes(_echo, 0, EchoLength);
            _echoIssued = true;
        }
    }

    /// <summary>Whether the given bytes are the Echo value this context issued.</summary>
    /// <param name="value">The array holding the received Echo.</param>
    /// <param name="offset">Where it starts.</param>
    /// <param name="length">Its length.</param>
    /// <returns>True on an exact match.</returns>
    internal bool EchoMatches(byte[] value, int offset, int length)
    {
        return _echoIssued && length == EchoLength && CryptoBytes.FixedTimeEquals(_echo, 0, value, offset, EchoLength);
    }

    /// <summary>A request with the right Echo verified: the window starts at its number (RFC 8613 Appendix B.1.2).</summary>
    /// <param name="sequenceNumber">The verified request's sequence number.</param>
    internal void ProveFreshness(long sequenceNumber)
    {
        _window.Initialize(sequenceNumber);
        _freshnessRequired = false;
        _echoIssued = false;
        Array.Clear(_echo, 0, EchoLength);
    }

    /// <summary>Erases the keys, the Common IV and the Echo value; the context can no longer be used.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_senderCipher != null)
        {
            _senderCipher.Dispose();
            _senderCipher = null;
        }

        if (_recipientCipher != null)
        {
            _recipientCipher.Dispose();
            _recipientCipher = null;
        }

        Array.Clear(_commonIv, 0, _commonIv.Length);
        Array.Clear(_echo, 0, _echo.Length);
        _window.Reset();
    }

    internal static bool BytesEqual(byte[] a, int aOffset, int aLength, byte[] b, int bOffset, int bLength)
    {
        if (aLength != bLength)
        {
            return false;
        }

        for (int i = 0; i < aLength; i++)
        {
            if (a[aOffset + i] != b[bOffset + i])
            {
                return false;
            }
        }

        return true;
    }

    private static byte[] Copy(byte[] source)
    {
        byte[] b = new byte[source.Length];
        Array.Copy(source, b, source.Length);
        return b;
    }
}
