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

    // RFC 8613 §3.3: IDs are at most nonce length − 6 bytes: 7 with AES-CCM-16-* (13-byte nonce), the room kept here.
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
        : this(provider, masterSecret, masterSalt, senderId, recipientId, idContext, null)
    {
    }

    /// <summary>Creates a context from explicit inputs (RFC 8613 §3.2).</summary>
    /// <param name="provider">The crypto provider.</param>
    /// <param name="masterSecret">The Master Secret.</param>
    /// <param name="masterSalt">The Master Salt, or null/empty for the default.</param>
    /// <param name="senderId">The Sender ID (at most nonce length − 6 = 7 bytes, §3.3).</param>
    /// <param name="recipientId">The Recipient ID (same bound).</param>
    /// <param name="idContext">The ID Context, or null.</param>
    /// <param name="options">The algorithm, replay window and sequence number store; null for the defaults.</param>
    /// <exception cref="ArgumentException">An input is out of range.</exception>
    public SecurityContext(
        ICryptoProvider provider, byte[] masterSecret, byte[] masterSalt, byte[] senderId, byte[] recipientId, byte[] idContext, SecurityContextOptions options)
    {
        if (provider == null || masterSecret == null || masterSecret.Length == 0 || senderId == null || recipientId == null)
        {
            throw new ArgumentException("A provider, a Master Secret, a Sender ID and a Recipient ID are required (RFC 8613 §3.1).");
        }

        if (options == null)
        {
            options = new SecurityContextOptions();
        }

        if (options.ReserveStep < 1)
        {
            throw new ArgumentException("The reservation step K must be at least 1.");
        }

        int algorithm = options.Algorithm;
        CheckProviderInputs(algorithm, ByteRange.Of(senderId), ByteRange.Of(recipientId), idContext == null ? -1 : idContext.Length, true);
        _provider = provider;
        _material = new byte[IdContextAt + (idContext == null ? 0 : idContext.Length)];
        _window = new ReplayWindow(options.ReplayWindowSize);
        _store = options.SequenceNumberStore;
        _reserveStep = options.ReserveStep;

        byte[] key = new byte[KeyRoom];
        DerivationWorkspace w = new DerivationWorkspace();
        try
        {
            Derive(w, ByteRange.Of(masterSecret), ByteRange.Of(masterSalt), ByteRange.Of(senderId), ByteRange.Of(recipientId), ByteRange.Of(idContext), algorithm);
            DeriveKey(w, true, key, 0);
            _senderCipher = OscoreAead.CreateCipher(provider, algorithm, key, _keyLength, _tagLength);
            DeriveKey(w, false, key, 0);
            _recipientCipher = OscoreAead.CreateCipher(provider, algorithm, key, _keyLength, _tagLength);
        }
        finally
        {
            CryptoBytes.Clear(key);
            w.Dispose();
        }

        _freshnessRequired = options.ReplayWindowUnknown;
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
        DerivationWorkspace workspace, ByteRange masterSecret, ByteRange masterSalt, ByteRange senderId, ByteRange recipientId, ByteRange idContext, int algorithm)
    {
        Dispose();
        if (masterSecret.Count < 1)
        {
            throw new ArgumentException("A Master Secret is required (RFC 8613 §3.1).");
        }

        CheckInputs(algorithm, senderId, recipientId, idContext.Buffer == null ? -1 : idContext.Count);
        try
        {
            Derive(workspace, masterSecret, masterSalt, senderId, recipientId, idContext, algorithm);
            DeriveKey(workspace, true, _material, 0);
            DeriveKey(workspace, false, _material, KeyRoom);
            if (!_sharesCipher)
            {
                // No shared cipher: the keys go into keyed objects and leave the material.
                _senderCipher = _provider.CreateAesCcm(_material, 0, _keyLength, _tagLength, 15 - OscoreAead.CcmNonceLength);
                _recipientCipher = _provider.CreateAesCcm(_material, KeyRoom, _keyLength, _tagLength, 15 - OscoreAead.CcmNonceLength);
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

    // RFC 8613 §3.2.1: keeps the parameters and the IDs in the material, extracts the PRK into the workspace and
    // derives the Common IV; the keys follow with DeriveKey while the PRK is still there. An ID Context over no buffer is absent.
    private void Derive(
        DerivationWorkspace w, ByteRange masterSecret, ByteRange masterSalt, ByteRange senderId, ByteRange recipientId, ByteRange idContext, int algorithm)
    {
        _algorithm = (byte)algorithm;
        _keyLength = (byte)OscoreAead.KeyLength(algorithm);
        _tagLength = (byte)OscoreAead.TagLength(algorithm);
        _senderIdLength = (byte)senderId.Count;
        _recipientIdLength = (byte)recipientId.Count;
        _idContextLength = (sbyte)(idContext.Buffer == null ? -1 : idContext.Count);
        senderId.CopyTo(_material, SenderIdOffset);
        recipientId.CopyTo(_material, RecipientIdOffset);
        idContext.CopyTo(_material, IdContextOffset);
        w.Extract(masterSecret, masterSalt);
        w.Expand(new ByteRange(_material, SenderIdOffset, 0), IdContext, algorithm, false, _material, KeysLength + IvAt, NonceLength);
    }

    // RFC 8613 §3.2.1: the Sender Key (id = Sender ID) or the Recipient Key (id = Recipient ID).
    private void DeriveKey(DerivationWorkspace w, bool sender, byte[] output, int offset)
    {
        ByteRange id = sender ? new ByteRange(_material, SenderIdOffset, _senderIdLength) : new ByteRange(_material, RecipientIdOffset, _recipientIdLength);
        w.Expand(id, IdContext, _algorithm, true, output, offset, _keyLength);
    }

    // The ID Context as a range, over no buffer when absent (it encodes nil, RFC 8613 §3.2.1).
    private ByteRange IdContext
    {
        get { return _idContextLength < 0 ? default(ByteRange) : new ByteRange(_material, IdContextOffset, _idContextLength); }
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> when inputs could not make a table slot's context, whose algorithm is one
    /// of AES-CCM-16-* (so a caller can check before it erases anything).
    /// </summary>
    internal static void CheckInputs(int algorithm, ByteRange senderId, ByteRange recipientId, int idContextLength)
    {
        CheckProviderInputs(algorithm, senderId, recipientId, idContextLength, false);
    }

    // withProvider: a context made with a provider may also use A128GCM, A256GCM and ChaCha20/Poly1305, when the
    // provider has them (OscoreAead.CreateCipher says so); a table slot borrows the engine's AES-CCM and cannot.
    private static void CheckProviderInputs(int algorithm, ByteRange senderId, ByteRange recipientId, int idContextLength, bool withProvider)
    {
        // RFC 9053 §4.2: AES-CCM-16-64-128 (10), -16-64-256 (11), -16-128-128 (30), -16-128-256 (31); §4.1, §4.3.
        if (!OscoreAead.IsAesCcm(algorithm) && !(withProvider && OscoreAead.IsOptional(algorithm)))
        {
            throw new ArgumentException("Unsupported OSCORE AEAD algorithm " + algorithm.ToString() + ".");
        }

        // RFC 8613 §3.3: an ID is at most nonce length − 6 bytes long.
        int maxId = OscoreAead.NonceLength(algorithm) - 6;
        if (senderId.Count > maxId || recipientId.Count > maxId)
        {
            throw new ArgumentException("With AEAD algorithm " + algorithm.ToString() + ", Sender and Recipient IDs are at most " + maxId.ToString() + " bytes (RFC 8613 §3.3).");
        }

        // RFC 8613 §3.3: the Sender ID must differ from the Recipient ID, or the two directions would share nonces.
        if (BytesEqual(senderId.Buffer, senderId.Offset, senderId.Count, recipientId.Buffer, recipientId.Offset, recipientId.Count))
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

    /// <summary>The AEAD nonce length: 13 bytes for AES-CCM-16-*, 12 for AES-GCM and ChaCha20/Poly1305.</summary>
    public int NonceLength => OscoreAead.NonceLength(_algorithm);


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
    internal void ComputeNonce(ByteRange id, ByteRange partialIv, byte[] nonce)
    {
        OscoreNonce.Compute(new ByteRange(_material, KeysLength + IvAt, NonceLength), id, partialIv, nonce, 0);
    }

    /// <summary>Encrypts under the Sender Key (RFC 8613 §5.3); a shared cipher holds the key only for this call.</summary>
    internal void Encrypt(byte[] nonce, ByteRange plaintext, byte[] ciphertext, int ciphertextOffset, byte[] tag, int tagOffset, ByteRange aad)
    {
        if (_sharesCipher)
        {
            ((IRekeyableAead)_senderCipher).SetKey(_material, 0, _keyLength, _tagLength);
        }

        try
        {
            _senderCipher.Encrypt(new ByteRange(nonce, 0, NonceLength), plaintext, ciphertext, ciphertextOffset, tag, tagOffset, aad);
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
    internal bool Decrypt(byte[] nonce, ByteRange ciphertext, byte[] tag, int tagOffset, byte[] plaintext, int plaintextOffset, ByteRange aad)
    {
        if (_sharesCipher)
        {
            ((IRekeyableAead)_recipientCipher).SetKey(_material, KeyRoom, _keyLength, _tagLength);
        }

        try
        {
            return _recipientCipher.Decrypt(new ByteRange(nonce, 0, NonceLength), ciphertext, tag, tagOffset, plaintext, plaintextOffset, aad);
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
