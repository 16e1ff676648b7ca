using System;

using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;

namespace PopIoT.Core.Ace;

/// <summary>
/// The resource server's fixed table of tokens and their OSCORE contexts (DESIGN.md §6): slot lookup by token digest,
/// PoP key id and context; Recipient ID choice (RFC 9203 §4.2); which slot a new token may evict (never one whose
/// context verified a request within the protection time; docs/ace-rs.md, "Admission"). A slot is an index: its
/// token's values live in this table's two state arrays and its OSCORE context in one slot of the packed
/// <see cref="SecurityContextSlots"/>, derived in place for each new token, so storing a token allocates nothing and a
/// slot costs the widths of its values, not a heap block per field (DESIGN.md §4; docs/firmware.md "Memory model").
/// With a provider that can make a re-keyable AES-CCM (<see cref="IRekeyableAeadProvider"/>, the managed one of a
/// board) all contexts share that one cipher and keep only their raw keys (DESIGN.md §8). Dropping a slot erases its
/// keys and its token's values.
/// </summary>
internal sealed partial class AceTokenTable : IDisposable
{
    /// <summary>Bytes of the claims digest kept (SHA-256 truncated: identifies a re-posted token, RFC 9200 §5.10.1.1).</summary>
    public const int DigestLength = 16;

    /// <summary>The longest PoP key id (OSCORE_Input_Material id or COSE_Key kid) kept.</summary>
    public const int MaxPopIdLength = 16;

    // The bytes of one slot, at slot × _stride: the claims digest (16) | the PoP key id (16) | its length (1) | its
    // rank in the use order (1: 0 is the least recently used, Capacity − 1 the most; the ranks of all slots are a
    // permutation, Slots ≤ 255) | one permission byte (CoapMethods bits) per resource.
    private const int DigestAt = 0;
    private const int PopIdAt = DigestAt + DigestLength;
    private const int PopIdLengthAt = PopIdAt + MaxPopIdLength;
    private const int UseRankAt = PopIdLengthAt + 1;
    private const int PermissionsAt = UseRankAt + 1;

    // A coap_dtls token's slot (RFC 9202 §3.3) proves possession with a DTLS session instead of an OSCORE context. Only
    // when the RS serves coap_dtls, each slot's bytes end with the DTLS area after the permissions: a mark (1 for a DTLS
    // slot), the peer of the established session bound to it (4, big-endian; -1 none), the peer of a handshake that took
    // its PSK and has not finished (4; -1 none), the PSK's length (1) and the PSK.
    private const int DtlsMarkAt = 0;
    private const int SessionPeerAt = 1;
    private const int HandshakePeerAt = 5;
    private const int PskLengthAt = 9;
    private const int PskAt = 10;

    // The numbers of one slot, at slot × NumbersPerSlot: when its token's lifetime ends (engine seconds, long.MaxValue
    // for none), its exi sequence number (RFC 9200 §5.10.3; -1 for none) and when its context last verified a request
    // (engine seconds, NeverVerified).
    private const int ExpiresAtAt = 0;
    private const int ExiSequenceAt = 1;
    private const int VerifiedAtAt = 2;
    private const int NumbersPerSlot = 3;

    // A slot whose context has not verified a request since its token was stored.
    private const long NeverVerified = long.MinValue;

    private readonly byte[] _bytes;
    private readonly int _stride;
    private readonly int _maxPsk;
    private readonly long[] _numbers;
    private readonly SecurityContextSlots _contexts;
    private readonly IRekeyableAead _sharedCipher;
    private readonly DerivationWorkspace _workspace;
    private int _nextServerId;

    public AceTokenTable(int slots, int resources, ICryptoProvider provider, int replayWindowSize, int maxPskLength)
    {
        IRekeyableAeadProvider rekeyable = provider as IRekeyableAeadProvider;

        // RFC 8613 §5.2: 13-byte nonces, so L = 15 − 13 = 2.
        _sharedCipher = rekeyable == null ? null : rekeyable.CreateRekeyableAesCcm(2);
        _contexts = new SecurityContextSlots(slots, provider, _sharedCipher, replayWindowSize);
        _workspace = new DerivationWorkspace(_sharedCipher == null);
        _maxPsk = maxPskLength;
        _stride = PermissionsAt + resources + (maxPskLength > 0 ? PskAt + maxPskLength : 0);
        _bytes = new byte[slots * _stride];
        _numbers = new long[slots * NumbersPerSlot];
        for (int i = 0; i < slots; i++)
        {
            _bytes[(i * _stride) + UseRankAt] = (byte)i;
        }

        for (int i = 0; i < slots; i++)
        {
            Free(i);
        }
    }

    /// <summary>The contexts, for <see cref="OscoreProcessor.UnprotectRequest"/>.</summary>
    public ISecurityContextLookup Contexts
    {
        get { return _contexts; }
    }

    public int Capacity
    {
        get { return _contexts.Capacity; }
    }

    public int ActiveCount
    {
        get
        {
            int n = 0;
            for (int i = 0; i < Capacity; i++)
            {
                if (InUse(i))
                {
                    n++;
                }
            }

            return n;
        }
    }

    /// <summary>Whether the slot holds a token: its OSCORE context has keys, or it holds a DTLS PSK.</summary>
    public bool InUse(int slot)
    {
        return !_contexts.Context(slot).IsDisposed || IsDtls(slot);
    }

    /// <summary>Whether the slot holds a coap_dtls token (RFC 9202), whose key is a DTLS PSK rather than an OSCORE context.</summary>
    public bool IsDtls(int slot)
    {
        return _maxPsk > 0 && _bytes[(slot * _stride) + DtlsAt + DtlsMarkAt] != 0;
    }

    /// <summary>When the slot's token stops authorising anything (engine seconds; long.MaxValue when never).</summary>
    public long ExpiresAt(int slot)
    {
        return _numbers[(slot * NumbersPerSlot) + ExpiresAtAt];
    }

    /// <summary>The slot's token's exi sequence number (RFC 9200 §5.10.3), or -1.</summary>
    public long ExiSequence(int slot)
    {
        return _numbers[(slot * NumbersPerSlot) + ExiSequenceAt];
    }

    public void SetLifetime(int slot, long expiresAt, long exiSequence)
    {
        _numbers[(slot * NumbersPerSlot) + ExpiresAtAt] = expiresAt;
        _numbers[(slot * NumbersPerSlot) + ExiSequenceAt] = exiSequence;
    }

    /// <summary>The methods the slot's token grants on resource <paramref name="resource"/> (CoapMethods bits).</summary>
    public int Permissions(int slot, int resource)
    {
        return _bytes[(slot * _stride) + PermissionsAt + resource];
    }

    public void SetPermissions(int slot, byte[] permissions)
    {
        Array.Copy(permissions, 0, _bytes, (slot * _stride) + PermissionsAt, DtlsAt - PermissionsAt);
    }

    public void SetDigest(int slot, byte[] digest)
    {
        Array.Copy(digest, 0, _bytes, (slot * _stride) + DigestAt, DigestLength);
    }

    public void SetPopId(int slot, byte[] buffer, int offset, int length)
    {
        Array.Copy(buffer, offset, _bytes, (slot * _stride) + PopIdAt, length);
        _bytes[(slot * _stride) + PopIdLengthAt] = (byte)length;
    }

    /// <summary>Marks a slot as just used (a verified request or a post), for eviction order: it becomes the most recent.</summary>
    public void Touch(int slot)
    {
        int rank = UseRank(slot);
        for (int i = 0; i < Capacity; i++)
        {
            int at = (i * _stride) + UseRankAt;
            if (_bytes[at] > rank)
            {
                _bytes[at]--;
            }
        }

        _bytes[(slot * _stride) + UseRankAt] = (byte)(Capacity - 1);
    }

    /// <summary>Records that the slot's context verified a request at <paramref name="now"/> (RFC 8613 §8.2): the client holds the key and uses it.</summary>
    public void Verified(int slot, long now)
    {
        _numbers[(slot * NumbersPerSlot) + VerifiedAtAt] = now;
    }

    public int FindDigest(byte[] digest)
    {
        for (int i = 0; i < Capacity; i++)
        {
            if (InUse(i) && CryptoBytes.FixedTimeEquals(_bytes, (i * _stride) + DigestAt, digest, 0, DigestLength))
            {
                return i;
            }
        }

        return -1;
    }

    public int FindPopId(byte[] buffer, int offset, int length)
    {
        return FindPopId(buffer, offset, length, false);
    }


    public int SlotOf(SecurityContext context)
    {
        if (context == null || context.IsDisposed)
        {
            return -1;
        }

        for (int i = 0; i < Capacity; i++)
        {
            if (_contexts.Context(i) == context)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// RFC 9203 §4.2: a one-byte Recipient ID distinct from the client's and from every live context's but
    /// <paramref name="replacing"/>'s. A counter cycles through all 256 values so an evicted client's kid is not soon
    /// reused by another context. Returns -1 when none is free.
    /// </summary>
    public int PickServerId(byte[] b, int clientOffset, int clientLength, int replacing)
    {
        for (int tries = 0; tries < 256; tries++)
        {
            int candidate = _nextServerId;
            _nextServerId = (_nextServerId + 1) & 0xFF;
            if (clientLength == 1 && b[clientOffset] == candidate)
            {
                continue;
            }

            bool used = false;
            for (int i = 0; i < Capacity && !used; i++)
            {
                used = i != replacing && HasRecipientId(i, candidate);
            }

            if (!used)
            {
                return candidate;
            }
        }

        return -1;
    }

    /// <summary>A free slot, or -1 when all are taken (see <see cref="Evictable"/>).</summary>
    public int FindFree()
    {
        for (int i = 0; i < Capacity; i++)
        {
            if (!InUse(i))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// The slot a new, not yet used token may evict, or -1 when every slot is protected: one whose context verified a
    /// request less than <paramref name="protectionSeconds"/> ago stays. Among the rest, a slot whose context never
    /// verified a request goes first (its token has not shown that anyone holds its key, RFC 9203 §4.1 posts are not
    /// authenticated), then the least recently used (DESIGN.md §6).
    /// </summary>
    public int Evictable(long now, long protectionSeconds)
    {
        int best = -1;
        for (int i = 0; i < Capacity; i++)
        {
            if (IsProtected(i, now, protectionSeconds))
            {
                continue;
            }

            if (best < 0)
            {
                best = i;
                continue;
            }

            bool never = VerifiedAt(i) == NeverVerified;
            bool bestNever = VerifiedAt(best) == NeverVerified;
            if ((never && !bestNever) || (never == bestNever && UseRank(i) < UseRank(best)))
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>
    /// Seconds until <see cref="Evictable"/> can name a slot or a slot frees itself by expiry (at least 1): the Max-Age
    /// of a 5.03 for a full table of protected slots.
    /// </summary>
    public long SecondsUntilEvictable(long now, long protectionSeconds)
    {
        long wait = long.MaxValue;
        for (int i = 0; i < Capacity; i++)
        {
            long verified = VerifiedAt(i);
            long w = verified == NeverVerified ? 0 : verified + protectionSeconds - now;
            long expiry = ExpiresAt(i) - now;
            if (InUse(i) && expiry < w)
            {
                w = expiry;
            }

            if (w < wait)
            {
                wait = w;
            }
        }

        return wait < 1 ? 1 : wait;
    }

    private bool IsProtected(int slot, long now, long protectionSeconds)
    {
        long at = VerifiedAt(slot);
        return InUse(slot) && at != NeverVerified && now - at < protectionSeconds;
    }

    private long VerifiedAt(int slot)
    {
        return _numbers[(slot * NumbersPerSlot) + VerifiedAtAt];
    }

    private int UseRank(int slot)
    {
        return _bytes[(slot * _stride) + UseRankAt];
    }

    // Whether the slot's live context answers to the one-byte Recipient ID id.
    private bool HasRecipientId(int slot, int id)
    {
        SecurityContext c = _contexts.Context(slot);
        return !c.IsDisposed && c.RecipientIdLength == 1 && c.Material[c.RecipientIdOffset] == id;
    }

    /// <summary>
    /// Derives the slot's context in place for a new token (RFC 9203 §4.3 inputs; RFC 8613 §3.2.1 derivation). The
    /// slot's previous keys, if any, are erased first. The caller checked the inputs with
    /// <see cref="SecurityContextDerivation.CheckInputs"/>, so this cannot fail half-way.
    /// </summary>
    public void Establish(int slot, ByteRange masterSecret, ByteRange masterSalt, ByteRange senderId, ByteRange recipientId, ByteRange idContext, int algorithm)
    {
        _contexts.Context(slot).Establish(_workspace, masterSecret, masterSalt, senderId, recipientId, idContext, algorithm);

        // New keys: nobody has used them yet, whatever the slot's previous context did.
        _numbers[(slot * NumbersPerSlot) + VerifiedAtAt] = NeverVerified;
        Touch(slot);
    }

    /// <summary>Drops a slot: its context's keys and its token's values are erased (DESIGN.md §6).</summary>
    public void Drop(int slot)
    {
        _contexts.Context(slot).Dispose();
        Free(slot);
    }

    public void Clear()
    {
        for (int i = 0; i < Capacity; i++)
        {
            Drop(i);
        }
    }

    /// <summary>Erases every slot, the derivation scratch and the shared cipher.</summary>
    public void Dispose()
    {
        Clear();
        _workspace.Dispose();
        if (_sharedCipher != null)
        {
            _sharedCipher.Dispose();
        }
    }

    // The token's values of a slot without a token: no digest, PoP key id or rights, no end, no exi number, never
    // verified, and the least recently used.
    private void Free(int slot)
    {
        int rank = UseRank(slot);
        for (int i = 0; i < Capacity; i++)
        {
            int at = (i * _stride) + UseRankAt;
            if (_bytes[at] < rank)
            {
                _bytes[at]++;
            }
        }

        CryptoBytes.Clear(_bytes, slot * _stride, _stride);
        if (_maxPsk > 0)
        {
            WritePeer(slot, SessionPeerAt, -1);
            WritePeer(slot, HandshakePeerAt, -1);
        }

        _numbers[(slot * NumbersPerSlot) + ExpiresAtAt] = long.MaxValue;
        _numbers[(slot * NumbersPerSlot) + ExiSequenceAt] = -1;
        _numbers[(slot * NumbersPerSlot) + VerifiedAtAt] = NeverVerified;
    }
}
