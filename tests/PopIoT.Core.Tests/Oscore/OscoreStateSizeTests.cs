#nullable disable
using System;

using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;
using PopIoT.Core.Tests.Crypto;

using Xunit;
using Xunit.Abstractions;

using static PopIoT.Core.Tests.Oscore.OscoreTestSupport;

namespace PopIoT.Core.Tests.Oscore;

/// <summary>The retained heap of one standalone context (desktop CLR, managed provider: two keyed AES-CCM objects), measured. The RS table's pooled contexts (DESIGN.md §8 "RS state for 8 clients within 4 KiB") are measured in AceMemoryTests.</summary>
[Collection(PopIoT.Core.Tests.Ace.AceSerialCollection.Name)]
public class OscoreStateSizeTests
{
    private readonly ITestOutputHelper _output;

    public OscoreStateSizeTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData(32)]
    [InlineData(256)]
    public void Retained_bytes_per_context(int window)
    {
        var p = new ManagedCryptoProvider(new SeededRandomSource(1));
        const int N = 2000;
        var keep = new SecurityContext[N];
        long before = GC.GetTotalMemory(true);
        for (int i = 0; i < N; i++)
        {
            keep[i] = new SecurityContext(p, MasterSecret, MasterSalt, [0x01], [(byte)i, 0x02], null, new SecurityContextOptions { ReplayWindowSize = window });
        }

        long after = GC.GetTotalMemory(true);
        long perContext = (after - before) / N;
        _output.WriteLine($"window {window}: {perContext} bytes retained per context (64-bit CLR, managed AES-CCM)");
        GC.KeepAlive(keep);
        // docs/oscore.md §State per context: about 1.3 KB, at most 1.5 KiB. N is large so that what other threads keep
        // alive meanwhile weighs little per context.
        Assert.True(perContext <= 1536, perContext.ToString());
    }
}
