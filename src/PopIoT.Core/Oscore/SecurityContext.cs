using System;

using PopIoT.Core.Crypto;

namespace PopIoT.Core.Oscore;

/// <summary>
/// An OSCORE Security Context (RFC 8613 §3): the Common Context (AEAD algorithm, Common IV, ID Context), the Sender
/// Context (Sender ID, Sender Key, Sender Sequence Number) and the Recipient Context (Recipient ID, Recipient Key,
/// Replay Window). It is built from explicit inputs, as the ACE OSCORE profile (RFC 9203 §3.2) supplies them, and the
/// keys are derived with HKDF-SHA256 (§3.2.1). A context made with a provider keeps its keys inside two keyed AEAD
/// objects; a fixed-slot table's context keeps its raw keys in its one state array and borrows the engine's shared
/// re-keyable cipher for each operation (about a third of the memory). <see cref="Dispose"/> erases the keys. Using a
/// context allocates nothing.
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

    // RFC 8613 §3.3: IDs are at most nonce length − 6 = 7 bytes.
    private const int MaxIdLength = 7;

    // Every byte of the context lives in one array (DESIGN.md §8: small per-client state, one object header):
    // [Sender Key | Recipient Key] (shared-cipher contexts only, 32 bytes each), Common IV (13), Echo (8),
    // Sender ID (7), Recipient ID (7), ID Context (up to 32).
    private const int KeyRoom = 32;
    private const int IvAt = 0;
    private const int EchoAt = IvAt + 13;
    private const int SenderIdAt = EchoAt + EchoLength;
    private const int RecipientIdAt = SenderIdAt + MaxIdLength;
    private const int IdContextAt = RecipientIdAt + MaxIdLength;

    private readonly byte[] _material;
    private readonly ReplayWindow _window;
    private readonly ICryptoProvider _provider;
    private readonly ISequenceNumberStore _store;
    private readonly bool _keyRoom;
    private readonly int _reserveStep;
    private IAeadCipher _senderCipher;
    private IAeadCipher _recipientCipher;
    private long _senderSequenceNumber;
    private long _reservedUntil;
    private bool _storeFailed;
    private int _generation;
    private byte _algorithm;
    private byte _keyLength;
    private byte _tagLength;
    private byte _senderIdLength;
    private byte _recipientIdLength;
    private sbyte _idContextLength;
    private bool _freshnessRequired;
    private bool _echoIssued;
    private bool _disposed;

    // True when both cipher fields hold the engine's shared IRekeyableAead (not owned; keys loaded per operation).
    private readonly bool _sharesCipher;

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

        if (reserveStep < 1)
        {
            throw new ArgumentException("The reservation step K must be at least 1.");
        }

        int idContextLength = idContext == null ? -1 : idContext.Length;
        CheckInputs(algorithm, senderId, 0, senderId.Length, recipientId, 0, recipientId.Length, idContextLength);
        _provider = provider;
        _material = new byte[IdContextAt + (idContextLength < 0 ? 0 : idContextLength)];
        _window = new ReplayWindow(replayWindowSize);
        _store = sequenceNumberStore;
        _reserveStep = reserveStep;

        byte[] key = new byte[KeyRoom];
        DerivationWorkspace w = new DerivationWorkspace();
        try
        {
            Derive(
                w, masterSecret, 0, masterSecret.Length, masterSalt, 0, masterSalt == null ? 0 : masterSalt.Length,
                senderId, 0, senderId.Length, recipientId, 0, recipientId.Length, idContext, 0, idContextLength, algorithm, key);
            _senderCipher = provider.CreateAesCcm(key, 0, _keyLength, _tagLength, 15 - NonceLength);
            w.Expand(_material, RecipientIdAt, _recipientIdLength, _material, IdContextAt, _idContextLength, algorithm, true, key, 0, _keyLength);
            _recipientCipher = provider.CreateAesCcm(key, 0, _keyLength, _tagLength, 15 - NonceLength);
        }
        finally
        {
            CryptoBytes.Clear(key);
            w.Dispose();
        }

        _freshnessRequired = replayWindowUnknown;
        if (_store != null)
        {
            // RFC 8613 Appendix B.1.1: start at the stored value and reserve K numbers before using any.
            long stored;
            _senderSequenceNumber = _store.TryLoad(out stored) && stored > 0 ? stored : 0;
            _reservedUntil = _senderSequenceNumber;
        }
    }

    /// <summary>
    /// Creates an empty context for a fixed-slot table, sized for the largest inputs, with no keys (and
    /// <see cref="IsDisposed"/> true) until <see cref="Establish"/>, which can run again and again in the same memory.
    /// With <paramref name="sharedCipher"/> the context keeps its raw keys and borrows that cipher for each operation,
    /// so a slot costs its bytes only; without it, each <see cref="Establish"/> makes two keyed ciphers with the provider.
    /// </summary>
    /// <param name="provider">The crypto provider (random Echo values; keyed ciphers when there is no shared one).</param>
    /// <param name="sharedCipher">The engine's one re-keyable AES-CCM (L = 2), or null.</param>
    /// <param name="replayWindowSize">The replay window in bits.</param>
    internal SecurityContext(ICryptoProvider provider, IRekeyableAead sharedCipher, int replayWindowSize)
    {
        _provider = provider;
        _sharesCipher = sharedCipher != null;
        _keyRoom = true;
        _material = new byte[(2 * KeyRoom) + IdContextAt + MaxIdContextLength];
        _window = new ReplayWindow(replayWindowSize);
        _reserveStep = DefaultReserveStep;
        _senderCipher = sharedCipher;
        _recipientCipher = sharedCipher;
        _disposed = true;
    }

    /// <summary>
    /// Derives this slot's context in place (RFC 8613 §3.2.1) from ranges of the caller's buffers; allocates nothing.
    /// Any previous keys are overwritten and the replay window and Sender Sequence Number start afresh (new keys: a new
    /// nonce space), and <see cref="Generation"/> changes so that exchanges bound to the old keys no longer apply.
    /// </summary>
    /// <exception cref="ArgumentException">An input is out of range (the context is left without keys).</exception>
    internal void Establish(
        DerivationWorkspace workspace,
        byte[] masterSecret, int secretOffset, int secretLength,
        byte[] masterSalt, int saltOffset, int saltLength,
        byte[] senderId, int senderIdOffset, int senderIdLength,
        byte[] recipientId, int recipientIdOffset, int recipientIdLength,
        byte[] idContext, int idContextOffset, int idContextLength,
        int algorithm)
    {
        Dispose();
        if (secretLength < 1)
        {
            throw new ArgumentException("A Master Secret is required (RFC 8613 §3.1).");
        }

        CheckInputs(algorithm, senderId, senderIdOffset, senderIdLength, recipientId, recipientIdOffset, recipientIdLength, idContextLength);
        try
        {
            Derive(
                workspace, masterSecret, secretOffset, secretLength, masterSalt, saltOffset, saltLength,
                senderId, senderIdOffset, senderIdLength, recipientId, recipientIdOffset, recipientIdLength,
                idContext, idContextOffset, idContextLength, algorithm, _material);
            workspace.Expand(_material, RecipientIdOffset, _recipientIdLength, _material, IdContextOffset, _idContextLength, algorithm, true, _material, KeyRoom, _keyLength);
            if (!_sharesCipher)
            {
                // No shared cipher: the keys go into keyed objects and leave the material.
                _senderCipher = _provider.CreateAesCcm(_material, 0, _keyLength, _tagLength, 15 - NonceLength);
                _recipientCipher = _provider.CreateAesCcm(_material, KeyRoom, _keyLength, _tagLength, 15 - NonceLength);
                Array.Clear(_material, 0, 2 * KeyRoom);
            }
        }
        finally
        {
            workspace.Clear();
        }

        _window.Reset();
        _senderSequenceNumber = 0;
        _freshnessRequired = false;
        _echoIssued = false;
        _generation++;
        _disposed = false;
    }

    // RFC 8613 §3.2.1: the Sender Key into senderKey[0..], the Common IV and the IDs into the material; the caller
    // derives the Recipient Key (into its own place) while the PRK is still in the workspace.
    private void Derive(
        DerivationWorkspace w,
        byte[] masterSecret, int secretOffset, int secretLength,
        byte[] masterSalt, int saltOffset, int saltLength,
        byte[] senderId, int senderIdOffset, int senderIdLength,
        byte[] recipientId, int recipientIdOffset, int recipientIdLength,
        byte[] idContext, int idContextOffset, int idContextLength,
        int algorithm, byte[] senderKey)
    {
        int at = KeysLength;
        _algorithm = (byte)algorithm;
        _keyLength = (byte)(algorithm == 11 || algorithm == 31 ? 32 : 16);
        _tagLength = (byte)(algorithm == 30 || algorithm == 31 ? 16 : 8);
        _senderIdLength = (byte)senderIdLength;
        _recipientIdLength = (byte)recipientIdLength;
        _idContextLength = (sbyte)idContextLength;
        Array.Copy(senderId, senderIdOffset, _material, at + SenderIdAt, senderIdLength);
        Array.Copy(recipientId, recipientIdOffset, _material, at + RecipientIdAt, recipientIdLength);
        if (idContextLength > 0)
        {
            Array.Copy(idContext, idContextOffset, _material, at + IdContextAt, idContextLength);
        }

        w.Extract(masterSecret, secretOffset, secretLength, masterSalt, saltOffset, saltLength);
        w.Expand(_material, at + SenderIdAt, senderIdLength, _material, at + IdContextAt, idContextLength, algorithm, true, senderKey, 0, _keyLength);
        w.Expand(_material, at + SenderIdAt, 0, _material, at + IdContextAt, idContextLength, algorithm, false, _material, at + IvAt, NonceLength);
    }

    /// <summary>Throws <see cref="ArgumentException"/> when inputs could not make a context (so a caller can check before it erases anything).</summary>
    internal static void CheckInputs(
        int algorithm, byte[] senderId, int senderIdOffset, int senderIdLength, byte[] recipientId, int recipientIdOffset, int recipientIdLength, int idContextLength)
    {
        // RFC 9053 §4.2: AES-CCM-16-64-128 (10), -16-64-256 (11), -16-128-128 (30), -16-128-256 (31); all with a 13-byte nonce.
        if (algorithm != 10 && algorithm != 11 && algorithm != 30 && algorithm != 31)
        {
            throw new ArgumentException("Unsupported OSCORE AEAD algorithm " + algorithm.ToString() + ".");
        }

        // RFC 8613 §3.3: an ID is at most nonce length − 6 bytes long.
        if (senderIdLength > MaxIdLength || recipientIdLength > MaxIdLength)
        {
            throw new ArgumentException("Sender and Recipient IDs are at most 7 bytes (RFC 8613 §3.3).");
        }

        // RFC 8613 §3.3: the Sender ID must differ from the Recipient ID, or the two directions would share nonces.
        if (BytesEqual(senderId, senderIdOffset, senderIdLength, recipientId, recipientIdOffset, recipientIdLength))
        {
            throw new ArgumentException("The Sender ID and the Recipient ID must differ (RFC 8613 §3.3).");
        }

        if (idContextLength > MaxIdContextLength)
        {
            throw new ArgumentException("The ID Context is longer than " + MaxIdContextLength.ToString() + " bytes.");
        }
    }

    // Where the non-key part of the material starts: after the two raw keys in a shared-cipher context.
    private int KeysLength
    {
        get { return _keyRoom ? 2 * KeyRoom : 0; }
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

    /// <summary>
    /// True when the last attempt to take a Sender Sequence Number failed because the <see cref="ISequenceNumberStore"/>
    /// write failed; nothing was protected (<see cref="OscoreStatus.SequenceNumberNotReserved"/>).
    /// </summary>
    public bool ReservationFailed => _storeFailed;

    /// <summary>True while the replay window is unknown and the next request must carry a valid Echo (Appendix B.1.2).</summary>
    public bool FreshnessRequired => _freshnessRequired;

    /// <summary>True once <see cref="Dispose"/> erased the keys.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>The Sender ID length.</summary>
    public int SenderIdLength => _senderIdLength;

    /// <summary>The Recipient ID length.</summary>
    public int RecipientIdLength => _recipientIdLength;

    /// <summary>Whether an ID Context is set.</summary>
    public bool HasIdContext => _idContextLength >= 0;

    /// <summary>
    /// Changes each time the context gets new keys or loses them. An <see cref="OscoreExchange"/> records it, so a
    /// response or notification bound to keys that were since erased (or re-derived for another client in the same
    /// slot) is refused instead of being protected under the wrong keys.
    /// </summary>
    public int Generation => _generation;

    /// <summary>The one array holding the IDs, the Common IV and the Echo value (at the offsets below).</summary>
    internal byte[] Material => _material;

    internal int SenderIdOffset => KeysLength + SenderIdAt;

    internal int RecipientIdOffset => KeysLength + RecipientIdAt;

    internal int IdContextOffset => KeysLength + IdContextAt;

    /// <summary>The ID Context length, or -1 when there is none.</summary>
    internal int IdContextLength => _idContextLength;

    internal int EchoOffset => KeysLength + EchoAt;

    /// <summary>Computes the AEAD nonce (RFC 8613 §5.2) from ID_PIV, a Partial IV and this context's Common IV.</summary>
    internal void ComputeNonce(byte[] id, int idOffset, int idLength, byte[] partialIv, int pivOffset, int pivLength, byte[] nonce)
    {
        OscoreNonce.Compute(_material, KeysLength + IvAt, NonceLength, id, idOffset, idLength, partialIv, pivOffset, pivLength, nonce, 0);
    }

    /// <summary>Encrypts under the Sender Key (RFC 8613 §5.3); a shared cipher holds the key only for this call.</summary>
    internal void Encrypt(
        byte[] nonce, byte[] plaintext, int plaintextOffset, int length, byte[] ciphertext, int ciphertextOffset, byte[] tag, int tagOffset,
        byte[] aad, int aadOffset, int aadLength)
    {
        if (_sharesCipher)
        {
            ((IRekeyableAead)_senderCipher).SetKey(_material, 0, _keyLength, _tagLength);
        }

        try
        {
            _senderCipher.Encrypt(nonce, 0, NonceLength, plaintext, plaintextOffset, length, ciphertext, ciphertextOffset, tag, tagOffset, aad, aadOffset, aadLength);
        }
        finally
        {
            if (_sharesCipher)
            {
                ((IRekeyableAead)_senderCipher).ClearKey();
            }
        }
    }

    /// <summary>Verifies and decrypts under the Recipient Key; false (and a zeroed output) when the tag does not match.</summary>
    internal bool Decrypt(
        byte[] nonce, byte[] ciphertext, int ciphertextOffset, int length, byte[] tag, int tagOffset, byte[] plaintext, int plaintextOffset,
        byte[] aad, int aadOffset, int aadLength)
    {
        if (_sharesCipher)
        {
            ((IRekeyableAead)_recipientCipher).SetKey(_material, KeyRoom, _keyLength, _tagLength);
        }

        try
        {
            return _recipientCipher.Decrypt(nonce, 0, NonceLength, ciphertext, ciphertextOffset, length, tag, tagOffset, plaintext, plaintextOffset, aad, aadOffset, aadLength);
        }
        finally
        {
            if (_sharesCipher)
            {
                ((IRekeyableAead)_recipientCipher).ClearKey();
            }
        }
    }

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
        if (_disposed || !BytesEqual(_material, RecipientIdOffset, _recipientIdLength, kid, kidOffset, kidLength))
        {
            return false;
        }

        if (kidContext == null)
        {
            return true;
        }

        return _idContextLength >= 0 && BytesEqual(_material, IdContextOffset, _idContextLength, kidContext, kidContextOffset, kidContextLength);
    }

    /// <summary>Whether another context has the same Recipient ID and ID Context (the lookup key of RFC 8613 §8.2 step 2).</summary>
    /// <param name="other">The other context.</param>
    /// <returns>True when a request could not tell the two apart.</returns>
    public bool SameLookupKey(SecurityContext other)
    {
        return BytesEqual(_material, RecipientIdOffset, _recipientIdLength, other._material, other.RecipientIdOffset, other._recipientIdLength)
            && _idContextLength == other._idContextLength
            && BytesEqual(_material, IdContextOffset, _idContextLength < 0 ? 0 : _idContextLength, other._material, other.IdContextOffset, other._idContextLength < 0 ? 0 : other._idContextLength);
    }

    /// <summary>Takes the next Sender Sequence Number (RFC 8613 §7.2), persisting a reservation first when one is due.</summary>
    /// <param name="sequenceNumber">The number to use as Partial IV.</param>
    /// <returns>False when the context is exhausted or disposed, or the reservation could not be stored (<see cref="ReservationFailed"/>).</returns>
    internal bool TryTakeSequenceNumber(out long sequenceNumber)
    {
        sequenceNumber = _senderSequenceNumber;
        _storeFailed = false;
        if (_disposed || IsExhausted)
        {
            return false;
        }

        if (_store != null && sequenceNumber >= _reservedUntil)
        {
            // RFC 8613 Appendix B.1.1 and §7.2.1: the stored value must be above every number in use before it is
            // used, so the reservation moves only after the write succeeded. A failed write sends nothing (fail
            // closed): after a restart the store's old value may be all that survives, and a number above it must
            // never have gone out, or an AES-CCM nonce would repeat.
            long next = sequenceNumber + _reserveStep;
            try
            {
                _store.Save(next);
            }
            catch (Exception)
            {
                // The store keeps its own account of the failure (it names the file); a field here would cost every
                // table slot a reference.
                _storeFailed = true;
                return false;
            }

            _reservedUntil = next;
        }

        _senderSequenceNumber = sequenceNumber + 1;
        return true;
    }

    /// <summary>Draws the Echo value on first use and keeps it until freshness is proven (RFC 9175 §2.4).</summary>
    internal void EnsureEcho()
    {
        if (!_echoIssued)
        {
            _provider.Random.GetBytes(_material, EchoOffset, EchoLength);
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
        return _echoIssued && length == EchoLength && CryptoBytes.FixedTimeEquals(_material, EchoOffset, value, offset, EchoLength);
    }

    /// <summary>A request with the right Echo verified: the window starts at its number (RFC 8613 Appendix B.1.2).</summary>
    /// <param name="sequenceNumber">The verified request's sequence number.</param>
    internal void ProveFreshness(long sequenceNumber)
    {
        _window.Initialize(sequenceNumber);
        _freshnessRequired = false;
        _echoIssued = false;
        Array.Clear(_material, EchoOffset, EchoLength);
    }

    /// <summary>
    /// Erases the keys, the Common IV and the Echo value; the context can no longer be used. A table slot's context
    /// (one with a shared cipher) can be given new keys later; the shared cipher itself belongs to the engine.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _generation++;
        if (!_sharesCipher)
        {
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
        }

        _echoIssued = false;
        Array.Clear(_material, 0, _material.Length);
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
}
