#nullable disable
using System;
using System.Collections.Generic;

using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;
using PopIoT.Core.Tests.Crypto;

using Xunit;

using static PopIoT.Core.Tests.Oscore.OscoreTestSupport;

namespace PopIoT.Core.Tests.Oscore;

/// <summary>DESIGN.md §6: a fixed table, lookup by (kid, kid context), LRU eviction that erases keys.</summary>
public class OscoreContextTableTests
{
    /// <summary>Records every AEAD it makes, so a test can see that eviction disposed (erased) them.</summary>
    private sealed class RecordingProvider : ICryptoProvider
    {
        private readonly ManagedCryptoProvider _inner = new(new SeededRandomSource(3));

        public List<IAeadCipher> Ciphers { get; } = new();

        public IRandomSource Random => _inner.Random;

        public IBlockCipher CreateAes(byte[] key, int offset, int length) => _inner.CreateAes(key, offset, length);

        public IMac CreateHmacSha256(byte[] key, int offset, int length) => _inner.CreateHmacSha256(key, offset, length);

        public IHash CreateSha256() => _inner.CreateSha256();

        public IAeadCipher CreateAesCcm(byte[] key, int offset, int length, int tagSize, int lengthSize)
        {
            var c = _inner.CreateAesCcm(key, offset, length, tagSize, lengthSize);
            Ciphers.Add(c);
            return c;
        }
    }

    private static SecurityContext Context(ICryptoProvider p, byte rid) => new(p, MasterSecret, null, [0xF0], [rid], null);

    private static bool Erased(IAeadCipher c)
    {
        byte[] n = new byte[13];
        byte[] t = new byte[8];
        try
        {
            c.Encrypt(new ByteRange(n, 0, 13), default, null, 0, t, 0, default);
            return false;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }

    [Fact]
    public void Full_table_evicts_the_least_recently_used_context_and_erases_its_keys()
    {
        var p = new RecordingProvider();
        var t = new OscoreContextTable(2);
        var a = Context(p, 1);
        var b = Context(p, 2);
        t.Add(a);
        t.Add(b);
        t.Touch(a);
        var c = Context(p, 3);
        Assert.Same(b, t.Add(c));
        Assert.Equal(1, t.Evictions);
        Assert.True(b.IsDisposed);
        Assert.True(Erased(p.Ciphers[2]) && Erased(p.Ciphers[3]));
        Assert.False(Erased(p.Ciphers[0]));
        Assert.Null(t.Find([2], 0, 1, null, 0, 0));
        Assert.Same(a, t.Find([1], 0, 1, null, 0, 0));
        Assert.Same(c, t.Find([3], 0, 1, null, 0, 0));
        Assert.Equal(2, t.Count);
    }

    [Fact]
    public void Same_recipient_id_and_id_context_replaces_and_erases_the_old_context()
    {
        var p = new RecordingProvider();
        var t = new OscoreContextTable(4);
        var a = Context(p, 1);
        t.Add(a);
        var a2 = Context(p, 1);
        Assert.Same(a, t.Add(a2));
        Assert.True(a.IsDisposed);
        Assert.Equal(0, t.Evictions);
        Assert.Same(a2, t.Find([1], 0, 1, null, 0, 0));
    }

    [Fact]
    public void Remove_and_clear_erase_keys()
    {
        var p = new RecordingProvider();
        var t = new OscoreContextTable(3);
        var a = Context(p, 1);
        var b = Context(p, 2);
        t.Add(a);
        t.Add(b);
        Assert.True(t.Remove(a));
        Assert.True(a.IsDisposed);
        t.Clear();
        Assert.True(b.IsDisposed);
        Assert.Equal(0, t.Count);
        Assert.All(p.Ciphers, c => Assert.True(Erased(c)));
    }

    [Fact]
    public void Lookup_with_kid_context_needs_the_matching_id_context()
    {
        var t = new OscoreContextTable(2);
        t.Add(C3Server());
        Assert.NotNull(t.Find([], 0, 0, IdContext, 0, IdContext.Length));
        Assert.Null(t.Find([], 0, 0, [1, 2], 0, 2));
        Assert.NotNull(t.Find([], 0, 0, null, 0, 0));
    }

    [Fact]
    public void Eviction_order_follows_use_over_many_adds()
    {
        var p = new ManagedCryptoProvider(new SeededRandomSource(1));
        var t = new OscoreContextTable(4);
        var all = new List<SecurityContext>();
        for (byte i = 0; i < 20; i++)
        {
            var c = Context(p, i);
            all.Add(c);
            t.Add(c);
            // Keep context 0 hot: it must never be evicted.
            t.Touch(all[0]);
        }

        Assert.False(all[0].IsDisposed);
        Assert.Equal(16, t.Evictions);
        for (int i = 1; i < 17; i++)
        {
            Assert.True(all[i].IsDisposed);
        }
    }
}
