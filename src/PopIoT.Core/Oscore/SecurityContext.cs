using System;

using PopIoT.Core.Crypto;

namespace PopIoT.Core.Oscore;

/// <summary>
/// An OSCORE Security Context (RFC 8613 §3): the Common Context (AEAD algorithm, Common IV, ID Context), the Sender
/// Context (Sender ID, Sender Key, Sender Sequence Number) and the Recipient Context (Recipient ID, Recipient Key,
/// Replay Window). It is built from explicit inputs, as the ACE OSCORE profile (RFC 9203 §3.2) supplies them, and the
/// keys are derived with HKDF-SHA256 (§3.2.1). The context is a handle: its state lives in one slot of a
/// <see cref="SecurityContextSlots"/> (a table's packed slots, or a one-slot store of its own), so a fixed table costs
/// the bytes of its values and not a heap block per field (DESIGN.md §4). A context made on its own keeps its keys
/// inside two keyed AEAD objects; a table slot keeps its raw keys and borrows the engine's shared re-keyable cipher
/// for each operation. <see cref="Dispose"/> erases the keys. Using a context allocates nothing.
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

    private readonly SecurityContextSlots _slots;
    private readonly int _slot;

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

        SecurityContextDerivation.CheckInputs(options.Algorithm, ByteRange.Of(senderId), ByteRange.Of(recipientId), idContext == null ? -1 : idContext.Length, true);
        _slots = new SecurityContextSlots(this, provider, options);
        _slot = 0;
        DerivationWorkspace w = new DerivationWorkspace(true);
        try
        {
            Establish(w, ByteRange.Of(masterSecret), ByteRange.Of(masterSalt), ByteRange.Of(senderId), ByteRange.Of(recipientId), ByteRange.Of(idContext), options.Algorithm);
        }
        finally
        {
            w.Dispose();
        }

        _slots.SetFlag(_slot, SecurityContextSlots.FreshnessRequired, options.ReplayWindowUnknown);
        ISequenceNumberStore store = options.SequenceNumberStore;
        if (store != null)
        {
            // RFC 8613 Appendix B.1.1: start at the stored value and reserve K numbers before using any.
            long stored;
            long start = store.TryLoad(out stored) && stored > 0 ? stored : 0;
            _slots.SetSenderSequenceNumber(_slot, start);
            _slots.ReservedUntil = start;
        }
    }

    /// <summary>The handle of one slot of <paramref name="slots"/>: no keys (and <see cref="IsDisposed"/>) until <see cref="Establish"/>.</summary>
    /// <param name="slots">The packed slots.</param>
    /// <param name="slot">This context's slot.</param>
    internal SecurityContext(SecurityContextSlots slots, int slot)
    {
        _slots = slots;
        _slot = slot;
    }

    /// <summary>
    /// Derives this slot's context in place (RFC 8613 §3.2.1) from ranges of the caller's buffers; allocates nothing
    /// with a shared cipher. Any previous keys are erased first, the replay window and Sender Sequence Number start
    /// afresh (new keys: a new nonce space), and <see cref="Generation"/> changes so that exchanges bound to the old
    /// keys no longer apply.
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

        // A slot with its own cipher objects may use the provider's optional AEADs; a shared (table) cipher is AES-CCM.
        SecurityContextDerivation.CheckInputs(algorithm, senderId, recipientId, idContext.Buffer == null ? -1 : idContext.Count, _slots.SharedCipher == null);
        byte[] b = _slots.Bytes;
        int at = _slots.Base(_slot);
        try
        {
            // RFC 8613 §3.2.1: the parameters and the IDs, then the PRK in the workspace, the Common IV and both keys.
            _slots.SetByte(_slot, SecurityContextSlots.AlgorithmAt, algorithm);
            _slots.SetByte(_slot, SecurityContextSlots.SenderIdLengthAt, senderId.Count);
            _slots.SetByte(_slot, SecurityContextSlots.RecipientIdLengthAt, recipientId.Count);
            _slots.SetByte(_slot, SecurityContextSlots.IdContextLengthAt, idContext.Buffer == null ? 0 : idContext.Count + 1);
            senderId.CopyTo(b, at + SecurityContextSlots.SenderIdAt);
            recipientId.CopyTo(b, at + SecurityContextSlots.RecipientIdAt);
            idContext.CopyTo(b, at + SecurityContextSlots.IdContextAt);
            workspace.Extract(masterSecret, masterSalt);
            workspace.Expand(new ByteRange(b, at + SecurityContextSlots.SenderIdAt, 0), IdContext, algorithm, false, b, at + SecurityContextSlots.CommonIvAt, NonceLength);
            if (_slots.SharedCipher != null)
            {
                workspace.Expand(SenderId, IdContext, algorithm, true, b, at + SecurityContextSlots.SenderKeyAt, KeyLength);
                workspace.Expand(RecipientId, IdContext, algorithm, true, b, at + SecurityContextSlots.RecipientKeyAt, KeyLength);
            }
            else
            {
                // No shared cipher: each key goes from the workspace into a keyed object; the slot keeps no raw keys.
                ICryptoProvider p = _slots.Provider;
                byte[] key = workspace.Key;
                workspace.Expand(SenderId, IdContext, algorithm, true, key, 0, KeyLength);
                _slots.SetCipher(_slot, SecurityContextSlots.SenderCipherAt, OscoreAead.CreateCipher(p, algorithm, key, KeyLength, TagLength));
                workspace.Expand(RecipientId, IdContext, algorithm, true, key, 0, KeyLength);
                _slots.SetCipher(_slot, SecurityContextSlots.RecipientCipherAt, OscoreAead.CreateCipher(p, algorithm, key, KeyLength, TagLength));
            }
        }
        catch (Exception)
        {
            Erase();
            throw;
        }
        finally
        {
            workspace.Clear();
        }

        _slots.NextGeneration(_slot);
        _slots.SetFlag(_slot, SecurityContextSlots.Keyed, true);
    }

    /// <summary>The AEAD nonce length: 13 bytes for every AES-CCM-16-* algorithm.</summary>
    public int NonceLength => OscoreAead.NonceLength(Algorithm);

    /// <summary>The authentication tag length of the AEAD algorithm (RFC 9053 §4.2: 16 for algorithms 30 and 31, else 8).</summary>
    public int TagLength => OscoreAead.TagLength(Algorithm);

    /// <summary>The AEAD algorithm (COSE identifier).</summary>
    public int Algorithm => _slots.Byte(_slot, SecurityContextSlots.AlgorithmAt);

    /// <summary>
    /// The Recipient Context's replay window (RFC 8613 §7.4): a view of this context's slot, a new object on each call
    /// (the request path uses <see cref="IsFresh"/> and <see cref="UpdateReplayWindow"/> and allocates nothing).
    /// </summary>
    public ReplayWindow ReplayWindow => _slots.WindowView(_slot);

    /// <summary>The next Sender Sequence Number to be used.</summary>
    public long SenderSequenceNumber => _slots.SenderSequenceNumber(_slot);

    /// <summary>True when the Sender Sequence Number reached 2^40 − 1: the context may not protect more (RFC 8613 §7.2.1).</summary>
    public bool IsExhausted => SenderSequenceNumber >= ReplayWindow.MaxSequenceNumber;

    /// <summary>
    /// True when the last attempt to take a Sender Sequence Number failed because the <see cref="ISequenceNumberStore"/>
    /// write failed; nothing was protected (<see cref="OscoreStatus.SequenceNumberNotReserved"/>).
    /// </summary>
    public bool ReservationFailed => _slots.HasFlag(_slot, SecurityContextSlots.ReservationFailed);

    /// <summary>True while the replay window is unknown and the next request must carry a valid Echo (Appendix B.1.2).</summary>
    public bool FreshnessRequired => _slots.HasFlag(_slot, SecurityContextSlots.FreshnessRequired);

    /// <summary>True once <see cref="Dispose"/> erased the keys (and, for a table slot, until it is established).</summary>
    public bool IsDisposed => !_slots.HasFlag(_slot, SecurityContextSlots.Keyed);

    /// <summary>The Sender ID length.</summary>
    public int SenderIdLength => _slots.Byte(_slot, SecurityContextSlots.SenderIdLengthAt);

    /// <summary>The Recipient ID length.</summary>
    public int RecipientIdLength => _slots.Byte(_slot, SecurityContextSlots.RecipientIdLengthAt);

    /// <summary>Whether an ID Context is set.</summary>
    public bool HasIdContext => IdContextLength >= 0;

    /// <summary>
    /// Changes each time the context gets new keys or loses them. An <see cref="OscoreExchange"/> records it, so a
    /// response or notification bound to keys that were since erased (or re-derived for another client in the same
    /// slot) is refused instead of being protected under the wrong keys.
    /// </summary>
    public int Generation => _slots.Generation(_slot);

    /// <summary>The array holding the IDs, the Common IV and the Echo value (at the offsets below).</summary>
    internal byte[] Material => _slots.Bytes;

    internal int SenderIdOffset => _slots.Base(_slot) + SecurityContextSlots.SenderIdAt;

    internal int RecipientIdOffset => _slots.Base(_slot) + SecurityContextSlots.RecipientIdAt;

    internal int IdContextOffset => _slots.Base(_slot) + SecurityContextSlots.IdContextAt;

    /// <summary>The ID Context length, or -1 when there is none.</summary>
    internal int IdContextLength => _slots.Byte(_slot, SecurityContextSlots.IdContextLengthAt) - 1;

    /// <summary>Where the Echo value is; only after <see cref="EnsureEcho"/> returned true.</summary>
    internal int EchoOffset => _slots.Base(_slot) + SecurityContextSlots.EchoAt;

    // RFC 9053 §4.2: 32-byte keys for algorithms 11 and 31, else 16.
    private int KeyLength => OscoreAead.KeyLength(Algorithm);

    private ByteRange SenderId => new ByteRange(_slots.Bytes, SenderIdOffset, SenderIdLength);

    private ByteRange RecipientId => new ByteRange(_slots.Bytes, RecipientIdOffset, RecipientIdLength);

    // The ID Context as a range, over no buffer when absent (it encodes nil, RFC 8613 §3.2.1).
    private ByteRange IdContext
    {
        get
        {
            int length = IdContextLength;
            return length < 0 ? default(ByteRange) : new ByteRange(_slots.Bytes, IdContextOffset, length);
        }
    }

    /// <summary>RFC 8613 §7.4: whether the request's sequence number may be accepted; changes nothing.</summary>
    internal bool IsFresh(long sequenceNumber)
    {
        return _slots.IsFresh(_slot, sequenceNumber);
    }

    /// <summary>RFC 8613 §7.4: marks the number received, only after the request verified.</summary>
    internal bool UpdateReplayWindow(long sequenceNumber)
    {
        return _slots.UpdateWindow(_slot, sequenceNumber);
    }

    /// <summary>Computes the AEAD nonce (RFC 8613 §5.2) from ID_PIV, a Partial IV and this context's Common IV.</summary>
    internal void ComputeNonce(ByteRange id, ByteRange partialIv, byte[] nonce)
    {
        OscoreNonce.Compute(new ByteRange(_slots.Bytes, _slots.Base(_slot) + SecurityContextSlots.CommonIvAt, NonceLength), id, partialIv, nonce, 0);
    }

    /// <summary>Encrypts under the Sender Key (RFC 8613 §5.3); a shared cipher holds the key only for this call.</summary>
    internal void Encrypt(byte[] nonce, ByteRange plaintext, byte[] ciphertext, int ciphertextOffset, byte[] tag, int tagOffset, ByteRange aad)
    {
        IRekeyableAead shared = _slots.SharedCipher;
        if (shared == null)
        {
            _slots.Cipher(_slot, SecurityContextSlots.SenderCipherAt).Encrypt(new ByteRange(nonce, 0, NonceLength), plaintext, ciphertext, ciphertextOffset, tag, tagOffset, aad);
            return;
        }

        shared.SetKey(_slots.Bytes, _slots.Base(_slot) + SecurityContextSlots.SenderKeyAt, KeyLength, TagLength);
        try
        {
            shared.Encrypt(new ByteRange(nonce, 0, NonceLength), plaintext, ciphertext, ciphertextOffset, tag, tagOffset, aad);
        }
        finally
        {
            shared.ClearKey();
        }
    }

    /// <summary>Verifies and decrypts under the Recipient Key; false (and a zeroed output) when the tag does not match.</summary>
    internal bool Decrypt(byte[] nonce, ByteRange ciphertext, byte[] tag, int tagOffset, byte[] plaintext, int plaintextOffset, ByteRange aad)
    {
        IRekeyableAead shared = _slots.SharedCipher;
        if (shared == null)
        {
            return _slots.Cipher(_slot, SecurityContextSlots.RecipientCipherAt).Decrypt(new ByteRange(nonce, 0, NonceLength), ciphertext, tag, tagOffset, plaintext, plaintextOffset, aad);
        }

        shared.SetKey(_slots.Bytes, _slots.Base(_slot) + SecurityContextSlots.RecipientKeyAt, KeyLength, TagLength);
        try
        {
            return shared.Decrypt(new ByteRange(nonce, 0, NonceLength), ciphertext, tag, tagOffset, plaintext, plaintextOffset, aad);
        }
        finally
        {
            shared.ClearKey();
        }
    }

    /// <summary>Whether this context has keys and its Recipient ID and ID Context equal the given 'kid' and 'kid context'.</summary>
    /// <param name="kid">The array holding the kid.</param>
    /// <param name="kidOffset">Where it starts.</param>
    /// <param name="kidLength">Its length.</param>
    /// <param name="kidContext">The array holding the kid context, or null when the message has none (any ID Context matches).</param>
    /// <param name="kidContextOffset">Where it starts.</param>
    /// <param name="kidContextLength">Its length.</param>
    /// <returns>True on a match.</returns>
    public bool Matches(byte[] kid, int kidOffset, int kidLength, byte[] kidContext, int kidContextOffset, int kidContextLength)
    {
        if (IsDisposed || !SecurityContextDerivation.BytesEqual(_slots.Bytes, RecipientIdOffset, RecipientIdLength, kid, kidOffset, kidLength))
        {
            return false;
        }

        if (kidContext == null)
        {
            return true;
        }

        int length = IdContextLength;
        return length >= 0 && SecurityContextDerivation.BytesEqual(_slots.Bytes, IdContextOffset, length, kidContext, kidContextOffset, kidContextLength);
    }

    /// <summary>Whether another context has the same Recipient ID and ID Context (the lookup key of RFC 8613 §8.2 step 2).</summary>
    /// <param name="other">The other context.</param>
    /// <returns>True when a request could not tell the two apart.</returns>
    public bool SameLookupKey(SecurityContext other)
    {
        int length = IdContextLength;
        int otherLength = other.IdContextLength;
        return SecurityContextDerivation.BytesEqual(_slots.Bytes, RecipientIdOffset, RecipientIdLength, other.Material, other.RecipientIdOffset, other.RecipientIdLength)
            && length == otherLength
            && SecurityContextDerivation.BytesEqual(_slots.Bytes, IdContextOffset, length < 0 ? 0 : length, other.Material, other.IdContextOffset, otherLength < 0 ? 0 : otherLength);
    }

    /// <summary>Takes the next Sender Sequence Number (RFC 8613 §7.2), persisting a reservation first when one is due.</summary>
    /// <param name="sequenceNumber">The number to use as Partial IV.</param>
    /// <returns>False when the context is exhausted or disposed, or the reservation could not be stored (<see cref="ReservationFailed"/>).</returns>
    internal bool TryTakeSequenceNumber(out long sequenceNumber)
    {
        sequenceNumber = _slots.SenderSequenceNumber(_slot);
        _slots.SetFlag(_slot, SecurityContextSlots.ReservationFailed, false);
        if (IsDisposed || IsExhausted)
        {
            return false;
        }

        ISequenceNumberStore store = _slots.SequenceNumberStore;
        if (store != null && sequenceNumber >= _slots.ReservedUntil)
        {
            // RFC 8613 Appendix B.1.1 and §7.2.1: the stored value must be above every number in use before it is
            // used, so the reservation moves only after the write succeeded. A failed write sends nothing (fail
            // closed): after a restart the store's old value may be all that survives, and a number above it must
            // never have gone out, or an AES-CCM nonce would repeat.
            long next = sequenceNumber + _slots.ReserveStep;
            try
            {
                store.Save(next);
            }
            catch (Exception)
            {
                // The store keeps its own account of the failure (it names the file); the flag says only that it failed.
                _slots.SetFlag(_slot, SecurityContextSlots.ReservationFailed, true);
                return false;
            }

            _slots.ReservedUntil = next;
        }

        _slots.SetSenderSequenceNumber(_slot, sequenceNumber + 1);
        return true;
    }

    /// <summary>
    /// Draws the Echo value on first use and keeps it until freshness is proven (RFC 9175 §2.4). False for a table
    /// slot: it has no room for one (its window is always known), and <see cref="EchoOffset"/> would name the next
    /// slot's bytes.
    /// </summary>
    internal bool EnsureEcho()
    {
        if (!_slots.HasEchoRoom)
        {
            return false;
        }

        if (!_slots.HasFlag(_slot, SecurityContextSlots.EchoIssued))
        {
            _slots.Provider.Random.GetBytes(_slots.Bytes, EchoOffset, EchoLength);
            _slots.SetFlag(_slot, SecurityContextSlots.EchoIssued, true);
        }

        return true;
    }

    /// <summary>Whether the given bytes are the Echo value this context issued.</summary>
    /// <param name="value">The array holding the received Echo.</param>
    /// <param name="offset">Where it starts.</param>
    /// <param name="length">Its length.</param>
    /// <returns>True on an exact match.</returns>
    internal bool EchoMatches(byte[] value, int offset, int length)
    {
        return _slots.HasEchoRoom && _slots.HasFlag(_slot, SecurityContextSlots.EchoIssued) && length == EchoLength
            && CryptoBytes.FixedTimeEquals(_slots.Bytes, EchoOffset, value, offset, EchoLength);
    }

    /// <summary>A request with the right Echo verified: the window starts at its number (RFC 8613 Appendix B.1.2).</summary>
    /// <param name="sequenceNumber">The verified request's sequence number.</param>
    internal void ProveFreshness(long sequenceNumber)
    {
        _slots.InitializeWindow(_slot, sequenceNumber);
        _slots.SetFlag(_slot, SecurityContextSlots.FreshnessRequired, false);
        _slots.SetFlag(_slot, SecurityContextSlots.EchoIssued, false);
        if (_slots.HasEchoRoom)
        {
            Array.Clear(_slots.Bytes, EchoOffset, EchoLength);
        }
    }

    /// <summary>
    /// Erases the keys, the Common IV and the Echo value; the context can no longer be used. A table slot's context
    /// can be given new keys later; the shared cipher itself belongs to the engine.
    /// </summary>
    public void Dispose()
    {
        if (IsDisposed)
        {
            return;
        }

        _slots.NextGeneration(_slot);
        Erase();
    }

    // DESIGN.md §5: keys erased when a context is dropped; the slot's keyed ciphers (no shared one) go with them.
    private void Erase()
    {
        if (_slots.SharedCipher == null)
        {
            for (int which = 0; which < 2; which++)
            {
                IAeadCipher c = _slots.Cipher(_slot, which);
                if (c != null)
                {
                    c.Dispose();
                    _slots.SetCipher(_slot, which, null);
                }
            }
        }

        _slots.Erase(_slot);
    }
}
