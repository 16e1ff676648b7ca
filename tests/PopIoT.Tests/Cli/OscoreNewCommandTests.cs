using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using PopIoT.Oscore;
using Xunit;

namespace PopIoT.Tests.Cli;

/// <summary>
/// <c>popiot oscore new</c> (docs/oscore.md, "Making a pair"): a matching pair of client and server context files,
/// secret files (owner-only, never silently overwritten), each with its Sender Sequence Number file at 0, that
/// <c>coap serve --oscore</c> and <c>coap get --oscore</c> use as they are.
/// </summary>
public sealed class OscoreNewCommandTests : TempDirectoryTest
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public void The_pair_mirrors_each_other_with_a_fresh_secret_owner_only_and_seq_files_at_0()
    {
        string client = F("client.json"), server = F("server.json");
        var r = CliRunner.Run("oscore", "new", "--client", client, "--server", server);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains(client, r.Out, StringComparison.Ordinal);
        Assert.Contains(server, r.Out, StringComparison.Ordinal);

        OscoreContextFile c = OscoreContextFile.Load(client), s = OscoreContextFile.Load(server);
        Assert.Equal(c.SenderId, s.RecipientId);
        Assert.Equal(c.RecipientId, s.SenderId);
        Assert.Equal(c.MasterSecret, s.MasterSecret);
        Assert.Equal(c.MasterSalt, s.MasterSalt);
        Assert.Equal((c.Algorithm, c.ReplayWindow), (s.Algorithm, s.ReplayWindow));
        Assert.Equal(32, c.MasterSecret.Length);
        Assert.Equal(8, c.MasterSalt.Length);
        Assert.Equal("", Convert.ToHexString(c.SenderId));
        Assert.Equal("01", Convert.ToHexString(s.SenderId));
        Assert.Null(c.IdContext);
        Assert.Equal("0", File.ReadAllText(client + ".seq").Trim());
        Assert.Equal("0", File.ReadAllText(server + ".seq").Trim());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(client));
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(server));
        }

        // The secret is never printed.
        Assert.DoesNotContain(Convert.ToHexStringLower(c.MasterSecret), r.Out + r.Error, StringComparison.Ordinal);

        // Another pair gets another secret.
        Assert.Equal(0, CliRunner.Run("oscore", "new", "--client", F("c2.json"), "--server", F("s2.json")).ExitCode);
        Assert.NotEqual(c.MasterSecret, OscoreContextFile.Load(F("c2.json")).MasterSecret);
    }

    [Fact]
    public void Ids_id_context_and_algorithm_are_taken_from_the_options()
    {
        string client = F("client.json"), server = F("server.json");
        var r = CliRunner.Run("oscore", "new", "--client", client, "--server", server, "--client-id", "0a", "--server-id", "0b0c", "--id-context", "37cbf3210017a2d3", "--alg", "AES-CCM-16-128-128");
        Assert.True(r.ExitCode == 0, r.Error);
        OscoreContextFile c = OscoreContextFile.Load(client), s = OscoreContextFile.Load(server);
        Assert.Equal([0x0a], c.SenderId);
        Assert.Equal([0x0b, 0x0c], c.RecipientId);
        Assert.Equal(c.RecipientId, s.SenderId);
        Assert.Equal(Convert.FromHexString("37cbf3210017a2d3"), c.IdContext);
        Assert.Equal(c.IdContext, s.IdContext);
        Assert.Equal(30, c.Algorithm);
        Assert.Equal(30, s.Algorithm);
    }

    [Theory]
    [InlineData("must differ", "--client-id", "01", "--server-id", "01")]
    [InlineData("--client-id", "--client-id", "0102030405060708")]
    [InlineData("--server-id", "--server-id", "zz")]
    [InlineData("--alg", "--alg", "A128GCM")]
    [InlineData("--id-context", "--id-context", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20")]
    [InlineData("name the same file", "--server", "client.json")]
    public void Bad_options_exit_2_naming_them_and_write_nothing(string message, params string[] extra)
    {
        string[] files = ["--client", "client.json", "--server", "server.json"];
        for (int i = 0; i < extra.Length; i++)
        {
            if (extra[i] is "--client" or "--server")
            {
                files[Array.IndexOf(files, extra[i]) + 1] = extra[++i];
            }
        }

        string[] rest = extra.Where((a, i) => a is not ("--client" or "--server") && (i == 0 || extra[i - 1] is not ("--client" or "--server"))).ToArray();
        var r = CliRunner.Run(["oscore", "new", "--client", F(files[1]), "--server", F(files[3]), .. rest]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Dir));
    }

    [Fact]
    public void An_existing_file_is_never_replaced_without_force_and_neither_file_is_written()
    {
        string client = F("client.json"), server = F("server.json");
        File.WriteAllText(server, "keep me");
        var r = CliRunner.Run("oscore", "new", "--client", client, "--server", server);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("'" + server + "' already exists", r.Error, StringComparison.Ordinal);
        Assert.Equal("keep me", File.ReadAllText(server));
        Assert.False(File.Exists(client));
        Assert.False(File.Exists(client + ".seq"));

        Assert.Equal(0, CliRunner.Run("oscore", "new", "--client", client, "--server", server, "--force").ExitCode);
        Assert.Equal(OscoreContextFile.Load(client).MasterSecret, OscoreContextFile.Load(server).MasterSecret);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(server));
        }
    }

    [Fact]
    public void A_context_in_use_is_not_replaced_under_its_user_even_with_force()
    {
        string client = F("client.json"), server = F("server.json");
        Assert.Equal(0, CliRunner.Run("oscore", "new", "--client", client, "--server", server).ExitCode);
        string before = File.ReadAllText(client);
        using (FileSequenceNumberStore inUse = FileSequenceNumberStore.ForContextFile(client))
        {
            var r = CliRunner.Run("oscore", "new", "--client", client, "--server", server, "--force");
            Assert.Equal(2, r.ExitCode);
            Assert.Contains("in use", r.Error, StringComparison.Ordinal);
            Assert.Contains(client + ".lock", r.Error, StringComparison.Ordinal);
        }

        Assert.Equal(before, File.ReadAllText(client));
        Assert.Equal(OscoreContextFile.Load(client).MasterSecret, OscoreContextFile.Load(server).MasterSecret);
    }

    [Fact]
    public void A_forced_pair_restarts_the_sequence_numbers_of_the_new_context()
    {
        string client = F("client.json"), server = F("server.json");
        Assert.Equal(0, CliRunner.Run("oscore", "new", "--client", client, "--server", server).ExitCode);
        File.WriteAllText(client + ".seq", "640\n");
        Assert.Equal(0, CliRunner.Run("oscore", "new", "--client", client, "--server", server, "--force").ExitCode);
        // RFC 8613 §3.2.1, §7.2.1: a new Master Secret is a new context; its numbers start at 0 again.
        Assert.Equal("0", File.ReadAllText(client + ".seq").Trim());
    }

    [Fact]
    public async Task The_pair_works_as_written_with_coap_serve_and_coap_put_get()
    {
        string client = F("client.json"), server = F("server.json");
        Assert.Equal(0, CliRunner.Run("oscore", "new", "--client", client, "--server", server).ExitCode);
        int port;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        string p = port.ToString(CultureInfo.InvariantCulture);
        Task<CliRunner.Result> serve = Task.Run(() => CliRunner.Run("coap", "serve", "--port", p, "--oscore", server, "--duration", "8"));
        await WaitForOscoreServerAsync(port, serve);

        // No --seq: the .seq files written with the pair are what the commands start from.
        var put = CliRunner.Run("coap", "put", $"coap://127.0.0.1:{p}/store", "-e", "paired", "--oscore", client, "-B", "10");
        Assert.True(put.ExitCode == 0, put.Out + put.Error);
        var get = CliRunner.Run("coap", "get", $"coap://127.0.0.1:{p}/store", "--oscore", client, "-B", "10");
        Assert.True(get.ExitCode == 0, get.Out + get.Error);
        Assert.EndsWith("paired", get.Out.Trim(), StringComparison.Ordinal);
        CliRunner.Result served = await serve.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(served.ExitCode == 0, served.Error);
    }

    private static async Task WaitForOscoreServerAsync(int port, Task<CliRunner.Result> server)
    {
        CoapResponse r = await ServerStart.AnswerAsync(new Uri("coap://127.0.0.1:" + port + "/time"), server);
        Assert.Equal(CoapCode.Unauthorized, r.Code);
    }
}
