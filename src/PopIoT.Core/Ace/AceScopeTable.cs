using System;

using PopIoT.Core.Cbor;
using PopIoT.Core.Coap;
using PopIoT.Core.Cwt;

namespace PopIoT.Core.Ace;

/// <summary>
/// Turns a token's scope into method rights per registered resource, once, when the token is stored, so checking a
/// request is one array lookup. Two forms (RFC 9200 §5.8.1: the RS interprets scope):
/// <list type="bullet">
/// <item>AIF (RFC 9237 §3, AIF-REST): a CBOR array of [path: tstr, methods: uint] pairs, the method bitmask being
/// GET 1, POST 2, PUT 4, DELETE 8, FETCH 16, PATCH 32, iPATCH 64 (RFC 9237 §3, the same bits as
/// <see cref="CoapMethods"/>);</item>
/// <item>text: space-separated scope tokens (RFC 6749 §3.3), each mapped to rights by this RS's table.</item>
/// </list>
/// Paths and scope tokens this RS does not know are ignored; a scope granting nothing here is refused.
/// </summary>
internal sealed class AceScopeTable
{
    private readonly byte[][] _scopeToken;
    private readonly string[] _scopePath;
    private readonly int[] _scopeMethods;
    private readonly CborReader _reader = new CborReader(new byte[1], 0, 0, CwtLimits.MaxDepth);
    private int _count;

    public AceScopeTable(int capacity)
    {
        _scopeToken = new byte[capacity][];
        _scopePath = new string[capacity];
        _scopeMethods = new int[capacity];
    }

    public void Add(string scopeToken, string path, int methods)
    {
        if (scopeToken == null || scopeToken.Length == 0 || path == null)
        {
            throw new ArgumentException("scopeToken and path are required.");
        }

        for (int i = 0; i < scopeToken.Length; i++)
        {
            if (scopeToken[i] == ' ')
            {
                throw new ArgumentException("A scope token has no spaces (RFC 6749 §3.3).");
            }
        }

        if (_count == _scopeToken.Length)
        {
            throw new InvalidOperationException("The scope table is full (AceRsSettings.MaxScopeEntries).");
        }

        byte[] t = new byte[Utf8.GetByteCount(scopeToken)];
        Utf8.Encode(scopeToken, t, 0);
        _scopeToken[_count] = t;
        _scopePath[_count] = path.Length > 0 && path[0] == '/' ? path : "/" + path;
        _scopeMethods[_count] = methods & 0x7F;
        _count++;
    }

    /// <summary>Fills <paramref name="permissions"/> (one method mask per resource) from the token's scope.</summary>
    /// <returns>None, or InvalidScope when the scope is malformed or grants nothing on this RS.</returns>
    public AceRsError Evaluate(CwtClaims claims, string[] paths, byte[][] pathUtf8, int resources, byte[] permissions)
    {
        Array.Clear(permissions, 0, permissions.Length);
        if (!claims.Has(CwtClaimKey.Scope))
        {
            return AceRsError.InvalidScope;
        }

        byte[] b = claims.Buffer;
        bool any;
        if (claims.ScopeType == CborMajorType.TextString)
        {
            any = EvaluateText(b, claims.ScopeContentOffset, claims.ScopeContentLength, paths, resources, permissions);
        }
        else if (claims.ScopeType == CborMajorType.Array)
        {
            try
            {
                if (!EvaluateAif(b, claims.ScopeOffset, claims.ScopeLength, pathUtf8, resources, permissions, out any))
                {
                    Array.Clear(permissions, 0, permissions.Length);
                    return AceRsError.InvalidScope;
                }
            }
            catch (CborException)
            {
                Array.Clear(permissions, 0, permissions.Length);
                return AceRsError.InvalidScope;
            }
        }
        else
        {
            return AceRsError.InvalidScope;
        }

        return any ? AceRsError.None : AceRsError.InvalidScope;
    }

    private bool EvaluateText(byte[] b, int offset, int length, string[] paths, int resources, byte[] permissions)
    {
        bool any = false;
        int end = offset + length;
        int i = offset;
        while (i < end)
        {
            while (i < end && b[i] == (byte)' ')
            {
                i++;
            }

            int start = i;
            while (i < end && b[i] != (byte)' ')
            {
                i++;
            }

            int n = i - start;
            if (n == 0)
            {
                continue;
            }

            for (int e = 0; e < _count; e++)
            {
                byte[] t = _scopeToken[e];
                if (t.Length != n || !SameBytes(t, b, start, n))
                {
                    continue;
                }

                for (int r = 0; r < resources; r++)
                {
                    if (string.Equals(paths[r], _scopePath[e]))
                    {
                        permissions[r] = (byte)(permissions[r] | _scopeMethods[e]);
                        any = true;
                    }
                }
            }
        }

        return any;
    }

    // RFC 9237 §3: AIF-REST = [* [toid: tstr, tperm: uint]]; the same path may appear more than once (rights add up).
    // Only bits 0-6 count here: the Dynamic-X bits (32 and up) grant X on resources a request created, and this RS
    // creates none, so they grant nothing on its registered paths.
    private bool EvaluateAif(byte[] b, int offset, int length, byte[][] pathUtf8, int resources, byte[] permissions, out bool any)
    {
        any = false;
        CborReader r = _reader;
        r.Reset(b, offset, length);
        int items = r.ReadStartArray();
        if (items < 0)
        {
            return false;
        }

        for (int k = 0; k < items; k++)
        {
            if (r.PeekState() != CborReaderState.StartArray || r.ReadStartArray() != 2 || r.PeekState() != CborReaderState.TextString)
            {
                return false;
            }

            int po;
            int pn;
            r.ReadTextString(out po, out pn);
            if (r.PeekState() != CborReaderState.UnsignedInteger)
            {
                return false;
            }

            ulong methods = r.ReadUInt64();
            r.ReadEndArray();
            for (int i = 0; i < resources; i++)
            {
                byte[] p = pathUtf8[i];
                if (p != null && p.Length == pn && SameBytes(p, b, po, pn))
                {
                    permissions[i] = (byte)(permissions[i] | (int)(methods & 0x7F));
                    any = any || (methods & 0x7F) != 0;
                }
            }
        }

        r.ReadEndArray();
        return true;
    }

    private static bool SameBytes(byte[] a, byte[] b, int offset, int n)
    {
        for (int i = 0; i < n; i++)
        {
            if (a[i] != b[offset + i])
            {
                return false;
            }
        }

        return true;
    }
}
