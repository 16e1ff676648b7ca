using System;
using System.Reflection;

using PopIoT.Core.Cbor;
using PopIoT.Core.Tests.Cwt;

using Xunit;
using Xunit.Abstractions;

using Sfc = System.Formats.Cbor;

namespace PopIoT.Core.Tests.Cbor;

/// <summary>
/// The direct path (internal <c>CborDirect</c>) against the checked reader it stands in front of and against
/// System.Formats.Cbor: on random and mutated items, whatever the direct path takes must be taken by both,
/// with the same end position and the same values. What it does not take is left to the checked path, so
/// only a floor on how much it takes is asserted (it must serve the common case).
/// </summary>
public class CborDirectTests
{
    private const int Seed = 20261201;
    private const int Cases = 60_000;

    private static readonly Type Direct = typeof(CborReader).Assembly.GetType("PopIoT.Core.Cbor.CborDirect", throwOnError: true)!;
    private static readonly Func<byte[], int, int, int, int> Skip = Static<Func<byte[], int, int, int, int>>("Skip");
    private static readonly StringFn String = Static<StringFn>("String");
    private static readonly IntegerFn Integer = Static<IntegerFn>("Integer");
    private static readonly ContainerFn Container = Static<ContainerFn>("Container");

    private readonly ITestOutputHelper _output;

    public CborDirectTests(ITestOutputHelper output) => _output = output;

    private delegate int StringFn(byte[] b, int p, int end, int major, out int offset, out int length);

    private delegate int IntegerFn(byte[] b, int p, int end, out long value);

    private delegate int ContainerFn(byte[] b, int p, int end, int major, out int count);

    [Fact]
    public void Skip_takes_only_items_both_readers_accept_and_ends_where_they_end()
    {
        RandomCbor gen = new(Seed) { MaxDepth = 5 };
        Random rnd = gen.Random;
        byte[] scratch = new byte[1 << 16];
        int taken = 0;
        int checkedAccepts = 0;
        for (int i = 0; i < Cases; i++)
        {
            byte[] data = Item(gen, scratch);
            if (i % 2 == 1)
            {
                data = CwtFuzzTests.Mutate(rnd, data);
            }

            // In the middle of noise: neither path may look outside its window.
            int prefix = rnd.Next(4);
            byte[] window = new byte[prefix + data.Length + 3];
            rnd.NextBytes(window);
            Array.Copy(data, 0, window, prefix, data.Length);
            int end = prefix + data.Length;
            int depth = 1 + rnd.Next(6);

            int q = Skip(window, prefix, end, depth);
            int readerEnd = -1;
            try
            {
                var r = new CborReader(window, prefix, data.Length, depth);
                r.SkipValue();
                readerEnd = r.Position;
                checkedAccepts++;
            }
            catch (CborException)
            {
            }

            if (q < 0)
            {
                continue;
            }

            taken++;
            Assert.True(readerEnd == q, $"case {i} depth {depth} {Convert.ToHexStringLower(data)}: direct ends at {q - prefix}, CborReader at {(readerEnd < 0 ? "an error" : (readerEnd - prefix).ToString())}");
            var oracle = new Sfc.CborReader(window.AsMemory(prefix, data.Length), Sfc.CborConformanceMode.Lax);
            oracle.SkipValue();
            Assert.Equal(q - prefix, data.Length - oracle.BytesRemaining);
        }

        _output.WriteLine($"direct took {taken} of {checkedAccepts} items CborReader accepted ({Cases} cases)");
        Assert.True(taken > checkedAccepts / 2, $"the direct path took only {taken} of {checkedAccepts}");
    }

    [Fact]
    public void Strings_integers_and_container_heads_read_as_the_checked_reader_reads_them()
    {
        RandomCbor gen = new(Seed + 1) { MaxDepth = 2 };
        Random rnd = gen.Random;
        byte[] scratch = new byte[1 << 16];
        int strings = 0;
        int integers = 0;
        int containers = 0;
        for (int i = 0; i < Cases; i++)
        {
            byte[] data = Item(gen, scratch);
            if (i % 3 == 1)
            {
                data = CwtFuzzTests.Mutate(rnd, data);
            }

            int end = data.Length;
            for (int major = 2; major <= 3; major++)
            {
                int q = String(data, 0, end, major, out int offset, out int length);
                if (q >= 0)
                {
                    strings++;
                    var r = new CborReader(data);
                    int o;
                    int l;
                    if (major == 2)
                    {
                        r.ReadByteString(out o, out l);
                    }
                    else
                    {
                        r.ReadTextString(out o, out l);
                    }

                    Assert.Equal((o, l, r.Position), (offset, length, q));
                }
            }

            int qi = Integer(data, 0, end, out long value);
            if (qi >= 0)
            {
                integers++;
                var r = new CborReader(data);
                Assert.Equal(r.ReadInt64(), value);
                Assert.Equal(r.Position, qi);
            }

            for (int major = 4; major <= 5; major++)
            {
                int qc = Container(data, 0, end, major, out int count);
                if (qc >= 0)
                {
                    containers++;
                    var r = new CborReader(data);
                    int n = major == 4 ? r.ReadStartArray() : r.ReadStartMap();
                    Assert.Equal((n, r.Position), (count, qc));
                }
            }
        }

        _output.WriteLine($"strings {strings}, integers {integers}, containers {containers}");
        Assert.True(strings > 1000 && integers > 1000 && containers > 1000);
    }

    [Theory]
    [InlineData("1817", true)] // 23 in a non-preferred one-byte argument: well-formed
    [InlineData("f800", false)] // two-byte simple value below 32: not well-formed (RFC 8949 §3.3)
    [InlineData("f820", true)]
    [InlineData("5f4101ff", false)] // indefinite-length byte string: left to the checked path
    [InlineData("9f01ff", false)]
    [InlineData("1c", false)] // reserved additional information
    [InlineData("ff", false)] // a break outside an indefinite item
    [InlineData("6261ff", false)] // invalid UTF-8
    [InlineData("62c3a9", true)]
    [InlineData("c1c2f6", true)] // tags do not count as nesting
    [InlineData("a20102", false)] // a map declaring more pairs than bytes follow
    [InlineData("5a00000001", false)] // a string running past the end
    public void Skip_follows_the_well_formedness_rules(string hex, bool taken)
    {
        byte[] data = Convert.FromHexString(hex);
        int q = Skip(data, 0, data.Length, 4);
        Assert.Equal(taken ? data.Length : -1, q);
        if (taken)
        {
            CborReader.Validate(data, 0, data.Length);
        }
    }

    [Fact]
    public void Skip_counts_nesting_like_the_checked_reader()
    {
        // Three nested arrays need a depth of three.
        byte[] data = Convert.FromHexString("81818100");
        Assert.Equal(-1, Skip(data, 0, data.Length, 2));
        Assert.Equal(data.Length, Skip(data, 0, data.Length, 3));
        Assert.Throws<CborException>(() => new CborReader(data, 0, data.Length, 2).SkipValue());
    }

    private static T Static<T>(string name)
        where T : Delegate => Direct.GetMethod(name, BindingFlags.Static | BindingFlags.NonPublic)!.CreateDelegate<T>();

    private static byte[] Item(RandomCbor gen, byte[] scratch)
    {
        CborWriter ours = new(scratch);
        Sfc.CborWriter theirs = new(Sfc.CborConformanceMode.Lax, convertIndefiniteLengthEncodings: false);
        gen.WriteItem(ours, theirs);
        return scratch.AsSpan(0, ours.BytesWritten).ToArray();
    }
}
