using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PopIoT.Interop.Tests.Peers;
using Xunit;

namespace PopIoT.Interop.Tests;

/// <summary>
/// Two popiot processes talk OSCORE over loopback, and tshark, capturing
/// live on the loopback interface, decrypts their traffic given the security context.
/// </summary>
public sealed class OscoreTwoProcessTests : TempDirectoryTest
{
    private const string Secret = "0102030405060708090a0b0c0d0e0f10";
    private const string Salt = "9e7ca92223786340";

    [SkippableFact]
    public void Two_popiot_processes_talk_oscore_and_tshark_decrypts_the_live_capture()
    {
        PeerRequirement.Require(PeerRequirement.FindOnPath("tshark") == null ? "tshark not on PATH (apt-get install tshark)" : null);
        PeerRequirement.Require(Environment.UserName == "root" ? null : "live capture on loopback needs root (CI runs as root)");

        int port = FreeUdpPort();
        string server = F("server.json"), client = F("client.json"), pcap = F("live.pcapng");
        File.WriteAllText(server, $$"""{"sender_id":"01","recipient_id":"","master_secret":"{{Secret}}","master_salt":"{{Salt}}","alg":10,"replay_window":32}""");
        File.WriteAllText(client, $$"""{"sender_id":"","recipient_id":"01","master_secret":"{{Secret}}","master_salt":"{{Salt}}","alg":10,"replay_window":32}""");

        using Process capture = Start("tshark", ["-i", "lo", "-f", $"udp port {port}", "-w", pcap, "-a", "duration:60"]);
        WaitForLine(capture.StandardError, "Capturing on", TimeSpan.FromSeconds(30));

        using Process serve = Start("dotnet", [Cli, "coap", "serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--oscore", server, "--seq", "0", "--duration", "30"]);
        WaitForLine(serve.StandardOutput, "listening on", TimeSpan.FromSeconds(30));

        var put = Run("dotnet", Cli, "coap", "put", $"coap://127.0.0.1:{port}/store", "-e", "hello-two-processes", "--oscore", client, "--seq", "0");
        var get = Run("dotnet", Cli, "coap", "get", $"coap://127.0.0.1:{port}/store", "--oscore", client);

        Assert.True(put.Code == 0, put.Output + put.Error);
        Assert.StartsWith("2.01 Created", put.Output, StringComparison.Ordinal);
        Assert.True(get.Code == 0, get.Output + get.Error);
        Assert.Contains("hello-two-processes", get.Output, StringComparison.Ordinal);

        Stop(serve);
        Interrupt(capture);

        // The datagrams on the wire carry only POST / 2.04 and ciphertext (RFC 8613 §4.2).
        string outer = Run("tshark", "-r", pcap, "-d", $"udp.port=={port},coap", "-V").Output;
        Assert.DoesNotContain("hello-two-processes", outer, StringComparison.Ordinal);
        Assert.DoesNotContain("Uri-Path: store", outer, StringComparison.Ordinal);

        string uat = $"uat:oscore_contexts:\"\",\"01\",\"{Secret}\",\"{Salt}\",\"\",\"AES-CCM-16-64-128 (CCM*)\"";
        var decoded = Run("tshark", "-r", pcap, "-d", $"udp.port=={port},coap", "-o", uat, "-V");
        Assert.True(decoded.Code == 0, decoded.Error);
        Assert.Contains("Code: PUT (3)", decoded.Output, StringComparison.Ordinal);
        Assert.Contains("Code: GET (1)", decoded.Output, StringComparison.Ordinal);
        Assert.Contains("Uri-Path: store", decoded.Output, StringComparison.Ordinal);

        // The decrypted inner payloads, as raw bytes (the PUT body and the GET's 2.05 body).
        var payloads = Run("tshark", "-r", pcap, "-d", $"udp.port=={port},coap", "-o", uat, "-T", "fields", "-e", "data.data");
        string wanted = Convert.ToHexStringLower("hello-two-processes"u8);
        Assert.True(payloads.Output.Split('\n').Count(l => l.Contains(wanted, StringComparison.Ordinal)) >= 2, payloads.Output);
    }

    private static string Cli => Path.Combine(AppContext.BaseDirectory, "PopIoT.Cli.dll");

    private static int FreeUdpPort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }

    private static Process Start(string file, string[] args)
    {
        var info = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        return Process.Start(info) ?? throw new InvalidOperationException("could not start " + file);
    }

    private static (int Code, string Output, string Error) Run(string file, params string[] args)
    {
        using Process p = Start(file, args);
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(60_000), file + " did not exit within 60 s");
        return (p.ExitCode, output, err.Result);
    }

    private static void WaitForLine(StreamReader reader, string marker, TimeSpan timeout)
    {
        Task<bool> found = Task.Run(() =>
        {
            string? line;
            while ((line = reader.ReadLine()) != null)
            {
                if (line.Contains(marker, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        });
        Assert.True(found.Wait(timeout) && found.Result, $"'{marker}' did not appear within {timeout.TotalSeconds} s");
    }

    private static void Stop(Process p)
    {
        if (!p.WaitForExit(1000))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(10_000);
        }
    }

    // SIGINT lets tshark finish the capture file cleanly.
    private static void Interrupt(Process p)
    {
        using (Process kill = Process.Start("kill", ["-INT", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
        {
            kill.WaitForExit(10_000);
        }

        if (!p.WaitForExit(15_000))
        {
            p.Kill();
        }
    }
}
