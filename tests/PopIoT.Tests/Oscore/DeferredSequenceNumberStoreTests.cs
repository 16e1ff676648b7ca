using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using PopIoT.Oscore;
using Xunit;

namespace PopIoT.Tests.Oscore;

/// <summary>
/// RFC 8613 Appendix B.2 with §7.2.1: a re-keyed context starts at 0 and its numbers reach the .seq file only once the
/// context is confirmed, so the file never pairs the old context with the new context's low numbers.
/// </summary>
public sealed class DeferredSequenceNumberStoreTests : TempDirectoryTest
{
    private static void Send(SecurityContext context)
    {
        var m = new CoapMessage { Code = CoapCode.Get };
        m.AddUriPath("x");
        Assert.Equal(OscoreStatus.Ok, new OscoreProcessor().ProtectRequest(m, context, false, new OscoreExchange()));
    }

    [Fact]
    public void Numbers_reach_the_file_only_after_confirmation_and_then_every_one_does()
    {
        string ctx = F("gw1.json");
        using var file = FileSequenceNumberStore.ForContextFile(ctx);
        var store = new DeferredSequenceNumberStore(file);
        using var context = new SecurityContext(new Crypto.PlatformCryptoProvider(), new byte[16], null, [0x01], [], null!, new SecurityContextOptions { SequenceNumberStore = store, ReserveStep = 4 });
        Assert.Equal(0, context.SenderSequenceNumber);
        for (int i = 0; i < 6; i++)
        {
            Send(context);
            Assert.Equal(i + 1, context.SenderSequenceNumber);
        }

        Assert.False(File.Exists(ctx + ".seq"));
        Assert.False(store.Confirmed);

        store.Confirm();
        Assert.True(store.Confirmed);
        Assert.Equal("8", File.ReadAllText(ctx + ".seq").Trim());
        for (int i = 6; i < 9; i++)
        {
            Send(context);
        }

        Assert.Equal("12", File.ReadAllText(ctx + ".seq").Trim());
    }
}
