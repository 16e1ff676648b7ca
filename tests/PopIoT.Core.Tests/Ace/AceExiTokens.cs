#nullable disable
using System;
using System.Formats.Cbor;

namespace PopIoT.Core.Tests.Ace;

/// <summary>Byte variants of a token that keep everything its COSE protection covers (RFC 9052 §3: the unprotected bucket is not authenticated).</summary>
internal static class AceExiTokens
{
    /// <summary>The same token with one more label (a private-use label, value <paramref name="variant"/>) in the outer unprotected header.</summary>
    public static byte[] WithUnprotectedLabel(byte[] token, int variant)
    {
        var r = new CborReader(token, CborConformanceMode.Lax);
        var w = new CborWriter(CborConformanceMode.Lax);
        while (r.PeekState() == CborReaderState.Tag)
        {
            w.WriteTag(r.ReadTag());
        }

        int? n = r.ReadStartArray();
        w.WriteStartArray(n);
        w.WriteEncodedValue(r.ReadEncodedValue().Span);
        int? m = r.ReadStartMap();
        w.WriteStartMap(m + 1);
        for (int i = 0; i < m; i++)
        {
            w.WriteEncodedValue(r.ReadEncodedValue().Span);
            w.WriteEncodedValue(r.ReadEncodedValue().Span);
        }

        r.ReadEndMap();
        w.WriteInt32(-65537);
        w.WriteInt32(variant);
        w.WriteEndMap();
        for (int i = 2; i < n; i++)
        {
            w.WriteEncodedValue(r.ReadEncodedValue().Span);
        }

        r.ReadEndArray();
        w.WriteEndArray();
        byte[] variantToken = w.Encode();
        if (variantToken.AsSpan().SequenceEqual(token))
        {
            throw new InvalidOperationException("not a variant");
        }

        return variantToken;
    }
}
