using System;

using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;

namespace PopIoT.Core.Ace;

/// <summary>
/// One entry of the resource server's fixed token table: the token's identity (a digest of its verified claims, so a
/// re-post, whatever its unprotected bytes, is known as the same token),
/// its PoP key id, lifetime, exi sequence number, the rights its scope grants per resource, and the OSCORE context
/// derived for it. The byte fields share one array and the context is the slot's own for the engine's lifetime,
/// re-derived in place for each new token (DESIGN.md §6, §8); <see cref="Free"/> erases the context's keys.
/// </summary>
internal sealed class AceTokenSlot
{
    /// <summary>Bytes of the claims digest kept (SHA-256 truncated: identifies a re-posted token, RFC 9200 §5.10.1.1).</summary>
    public const int DigestLength = 16;

    /// <summary>The longest PoP key id (OSCORE_Input_Material id or COSE_Key kid) kept.</summary>
    public const int MaxPopIdLength = 16;

    // [digest (16) | PoP key id (16) | one permission byte (CoapMethods bits) per resource].
    private const int PopIdAt = DigestLength;
    private const int PermissionsAt = PopIdAt + MaxPopIdLength;

    private readonly byte[] _data;

    public AceTokenSlot(int resources, SecurityContext context)
    {
        _data = new byte[PermissionsAt + resources];
        Context = context;
        Free();
    }

    /// <summary>The slot's context: keyed while <see cref="InUse"/>, erased otherwise.</summary>
    public readonly SecurityContext Context;

    public bool InUse;
    public byte PopIdLength;
    public long ExpiresAt;
    public long ExiSequence;
    public long LastUsed;

    /// <summary>The methods the token grants on resource <paramref name="resource"/> (CoapMethods bits).</summary>
    public int Permissions(int resource)
    {
        return _data[PermissionsAt + resource];
    }

    public void SetPermissions(byte[] permissions)
    {
        Array.Copy(permissions, 0, _data, PermissionsAt, _data.Length - PermissionsAt);
    }

    public void SetDigest(byte[] digest)
    {
        Array.Copy(digest, 0, _data, 0, DigestLength);
    }

    public bool DigestEquals(byte[] digest)
    {
        return InUse && CryptoBytes.FixedTimeEquals(_data, 0, digest, 0, DigestLength);
    }

    public void SetPopId(byte[] buffer, int offset, int length)
    {
        Array.Copy(buffer, offset, _data, PopIdAt, length);
        PopIdLength = (byte)length;
    }

    public bool PopIdEquals(byte[] buffer, int offset, int length)
    {
        return InUse && SecurityContext.BytesEqual(_data, PopIdAt, PopIdLength, buffer, offset, length);
    }

    /// <summary>Whether the slot's live context answers to the one-byte Recipient ID <paramref name="id"/>.</summary>
    public bool HasRecipientId(int id)
    {
        return InUse && !Context.IsDisposed && Context.RecipientIdLength == 1 && Context.Material[Context.RecipientIdOffset] == id;
    }

    public void Free()
    {
        InUse = false;
        PopIdLength = 0;
        ExpiresAt = long.MaxValue;
        ExiSequence = -1;
        LastUsed = 0;
        CryptoBytes.Clear(_data);
        Context.Dispose();
    }
}
