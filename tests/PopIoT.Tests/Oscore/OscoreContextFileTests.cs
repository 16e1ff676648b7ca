using System.Text;
using PopIoT.Core.Oscore;
using PopIoT.Oscore;
using Xunit;

namespace PopIoT.Tests.Oscore;

/// <summary>The CTX.json format (docs/oscore.md) and its error messages.</summary>
public class OscoreContextFileTests
{
    private const string Good = """{"sender_id":"","recipient_id":"01","master_secret":"0102030405060708090a0b0c0d0e0f10","master_salt":"9e7ca92223786340","id_context":null,"alg":10,"replay_window":64}""";

    private static OscoreContextFile Parse(string json) => OscoreContextFile.Parse(Encoding.UTF8.GetBytes(json), "ctx.json");

    [Fact]
    public void A_good_file_gives_the_rfc_8613_c1_client_context()
    {
        OscoreContextFile f = Parse(Good);
        Assert.Empty(f.SenderId);
        Assert.Equal([0x01], f.RecipientId);
        Assert.Equal(16, f.MasterSecret.Length);
        Assert.Equal(8, f.MasterSalt.Length);
        Assert.Null(f.IdContext);
        Assert.Equal(10, f.Algorithm);
        Assert.Equal(64, f.ReplayWindow);
        using SecurityContext c = f.CreateContext();
        Assert.Equal(64, c.ReplayWindow.Size);
        Assert.False(c.FreshnessRequired);
        using SecurityContext rebooted = f.CreateContext(null, true);
        Assert.True(rebooted.FreshnessRequired);
    }

    [Theory]
    [InlineData("\"AES-CCM-16-64-256\"", 11)]
    [InlineData("30", 30)]
    [InlineData("\"aes-ccm-16-128-256\"", 31)]
    public void Alg_takes_a_number_or_a_name(string alg, int expected) =>
        Assert.Equal(expected, Parse(Good.Replace("\"alg\":10", "\"alg\":" + alg, StringComparison.Ordinal)).Algorithm);

    [Fact]
    public void Optional_fields_default_to_no_salt_no_id_context_alg_10_and_a_32_bit_window()
    {
        OscoreContextFile f = Parse("""{"sender_id":"01","recipient_id":"","master_secret":"00ff"}""");
        Assert.Empty(f.MasterSalt);
        Assert.Null(f.IdContext);
        Assert.Equal(10, f.Algorithm);
        Assert.Equal(32, f.ReplayWindow);
        Assert.Equal([0x37, 0xcb, 0xf3, 0x21, 0x00, 0x17, 0xa2, 0xd3], Parse(Good.Replace("null", "\"37cbf3210017a2d3\"", StringComparison.Ordinal)).IdContext);
    }

    [Theory]
    [InlineData("{\"recipient_id\":\"01\",\"master_secret\":\"00\"}", "missing field \"sender_id\"")]
    [InlineData("{\"sender_id\":\"\",\"master_secret\":\"00\"}", "missing field \"recipient_id\"")]
    [InlineData("{\"sender_id\":\"\",\"recipient_id\":\"01\"}", "missing field \"master_secret\"")]
    [InlineData("{\"sender_id\":\"\",\"recipient_id\":\"01\",\"master_secret\":\"xyz1\"}", "\"master_secret\" is not valid hex")]
    [InlineData("{\"sender_id\":\"0\",\"recipient_id\":\"01\",\"master_secret\":\"00\"}", "\"sender_id\" is not valid hex")]
    [InlineData("{\"sender_id\":\"\",\"recipient_id\":\"01\",\"master_secret\":\"00\",\"master_salt\":7}", "\"master_salt\" must be a hex string")]
    [InlineData("{\"sender_id\":\"0102030405060708\",\"recipient_id\":\"01\",\"master_secret\":\"00\"}", "\"sender_id\" is 8 bytes; at most 7")]
    [InlineData("{\"sender_id\":\"01\",\"recipient_id\":\"01\",\"master_secret\":\"00\"}", "must differ")]
    [InlineData("{\"sender_id\":\"\",\"recipient_id\":\"01\",\"master_secret\":\"\"}", "\"master_secret\" must not be empty")]
    [InlineData("{\"sender_id\":\"\",\"recipient_id\":\"01\",\"master_secret\":\"00\",\"alg\":12}", "\"alg\" 12 is not supported")]
    [InlineData("{\"sender_id\":\"\",\"recipient_id\":\"01\",\"master_secret\":\"00\",\"alg\":\"A192GCM\"}", "\"alg\" \"A192GCM\" is not supported")]
    [InlineData("{\"sender_id\":\"\",\"recipient_id\":\"01\",\"master_secret\":\"00\",\"replay_window\":48}", "\"replay_window\" 48 must be a multiple of 32 from 32 to 256")]
    [InlineData("{\"sender_id\":\"\",\"recipient_id\":\"01\",\"master_secret\":\"00\",\"replay_window\":288}", "\"replay_window\" 288 must be a multiple of 32")]
    [InlineData("{\"sender_id\":\"\",\"recipient_id\":\"01\",\"master_secret\":\"00\",\"replay_window\":0}", "\"replay_window\" 0 must")]
    [InlineData("{\"sender_id\":\"\",\"recipient_id\":\"01\",\"master_secret\":\"00\",\"window\":32}", "unknown field \"window\"")]
    [InlineData("[1,2]", "expected a JSON object")]
    [InlineData("{\"sender_id\":", "not valid JSON")]
    public void Bad_files_name_the_problem(string json, string message)
    {
        FormatException e = Assert.Throws<FormatException>(() => Parse(json));
        Assert.StartsWith("OSCORE context file 'ctx.json': ", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_a_format_error_naming_it()
    {
        FormatException e = Assert.Throws<FormatException>(() => OscoreContextFile.Load(Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid(), "ctx.json")));
        Assert.Contains("cannot read OSCORE context file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_file_store_keeps_the_sequence_number_across_contexts_so_no_nonce_repeats()
    {
        string dir = Directory.CreateTempSubdirectory("popiot-seq-").FullName;
        try
        {
            OscoreContextFile f = Parse(Good);
            string ctx = Path.Combine(dir, "ctx.json");
            long saved;
            using (FileSequenceNumberStore store = FileSequenceNumberStore.ForContextFile(ctx, 0))
            {
                Assert.True(store.TryLoad(out long start));
                Assert.Equal(0, start);
                using (SecurityContext c = f.CreateContext(null, false, store))
                {
                    var m = new Core.Coap.CoapMessage { Code = Core.Coap.CoapCode.Get };
                    Assert.Equal(OscoreStatus.Ok, new OscoreProcessor().ProtectRequest(m, c, false, new OscoreExchange()));
                }

                Assert.True(store.TryLoad(out saved));
                Assert.Equal(SecurityContext.DefaultReserveStep, saved);
            }

            using FileSequenceNumberStore reopened = FileSequenceNumberStore.ForContextFile(ctx);
            using SecurityContext again = f.CreateContext(null, false, reopened);
            Assert.Equal(saved, again.SenderSequenceNumber);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
