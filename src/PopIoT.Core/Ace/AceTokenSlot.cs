using System;

using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;

namespace PopIoT.Core.Ace;

/// <summary>
/// One entry of the resource server's fixed token table: the token's identity (a digest, for idempotent re-posts),
/// its PoP key id, lifetime, exi sequence number, the rights its scope grants per resource, and the OSCORE context
/// derived for it. All arrays are allocated once; <see cref="Free"/> erases the context's keys.
/// </summary>
internal sealed class AceTokenSlot
{
    /// <summary>Bytes of token digest kept (SHA-256 truncated: identifies a re-posted token, RFC 9200 §5.10.1).</summary>
    public const int DigestLength = 16;

    /// <summary>The longest PoP key id (OSCORE_Input_Material id or COSE_Key kid) kept.</summary>
    public const int MaxPopIdLength = 16;

    public readonly byte[] Digest = new byte[DigestLength];
    public readonly byte[] PopId = new byte[MaxPopIdLength];
    public readonly byte[] Permissions;

    public AceTokenSlot(int resources)
    {
        Permissions = new byte[resources];
        Free();
    }

    public bool InUse;
    public int PopIdLength;
    public long ExpiresAt;
    public long ExiSequence;
    public long LastUsed;
    public SecurityContext Context;

    public bool PopIdEquals(byte[] buffer, int offset, int length)
    {
        return InUse && SecurityContext.BytesEqual(PopId, 0, PopIdLength, buffer, offset, length);
    }

    public void Free()
    {
        InUse = false;
        PopIdLength = 0;
        ExpiresAt = long.MaxValue;
        ExiSequence = -1;
        LastUsed = 0;
        CryptoBytes.Clear(Digest);
        CryptoBytes.Clear(PopId);
        Array.Clear(Permissions, 0, Permissions.Length);
        Context = null;
    }
}
