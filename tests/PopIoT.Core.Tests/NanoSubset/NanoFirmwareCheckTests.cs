using System.Collections.Immutable;
using System.Diagnostics;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

using Xunit;

namespace PopIoT.Core.Tests.NanoSubset;

/// <summary>
/// The firmware in the nano check (docs/firmware.md, "What is verified here"): the check project's output holds the
/// firmware's shared flow and its board adapters (so the metadata guard covers them), a generic planted in the
/// firmware fails the guard, and a call to a nanoFramework member that is not declared fails the build, both in
/// memory and through a real <c>dotnet build</c> of a copy of the check project.
/// </summary>
public class NanoFirmwareCheckTests
{
    [Fact]
    public void The_check_output_holds_the_firmware_and_its_adapters_so_the_guard_covers_them()
    {
        string path = Path.GetFullPath(NanoCompiler.Metadata("NanoCheckAssembly"));
        using var pe = new PEReader(ImmutableArray.Create(File.ReadAllBytes(path)));
        MetadataReader md = pe.GetMetadataReader();
        var types = md.TypeDefinitions.Select(h => md.GetTypeDefinition(h)).Select(t => md.GetString(t.Namespace) + "." + md.GetString(t.Name)).ToHashSet();

        Assert.Contains("PopIoT.Firmware.FirmwareMain", types);
        Assert.Contains("PopIoT.Firmware.FirmwareStartup", types);
        Assert.Contains("PopIoT.Firmware.NanoUdpSocket", types);
        Assert.Contains("PopIoT.Firmware.NanoAesBlockCipher", types);
        Assert.Contains("PopIoT.Core.Sntp.SntpClient", types);
        Assert.Empty(MetadataGuard.FindViolations(File.ReadAllBytes(path)));
    }

    [Fact]
    public void Core_and_the_firmware_compile_in_memory_against_nano_mscorlib_and_the_declarations_and_pass_the_guard()
    {
        var (image, errors) = NanoCompiler.Compile(NanoCompiler.CoreSources().Concat(NanoCompiler.FirmwareCheckSources()));

        Assert.True(image != null, string.Join("\n", errors));
        Assert.Empty(MetadataGuard.FindViolations(image!));
    }

    [Fact]
    public void A_generic_planted_in_the_firmware_shared_code_fails_the_guard()
    {
        const string planted = "namespace PopIoT.Firmware { internal sealed class RecordCache<T> { internal T Last; } }";
        var (image, errors) = NanoCompiler.Compile(NanoCompiler.CoreSources().Concat(NanoCompiler.FirmwareCheckSources()).Append(planted));

        Assert.True(image != null, string.Join("\n", errors));
        Assert.Contains(MetadataGuard.FindViolations(image!), v => v.Contains("generic parameter 'T' on type RecordCache`1", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp).Connect(null);", "CS1061")]
    [InlineData("System.Security.Cryptography.HMACSHA256.HashData(new byte[1], new byte[1], 0);", "CS1501")]
    [InlineData("System.Environment.TickCount = 0;", "CS0117")]
    public void A_call_to_an_undeclared_nanoframework_member_fails_the_in_memory_build(string statement, string errorId)
    {
        string planted = "namespace PopIoT.Firmware { internal static class Planted { internal static void Call() { " + statement + " } } }";
        var (image, errors) = NanoCompiler.Compile(NanoCompiler.CoreSources().Concat(NanoCompiler.FirmwareCheckSources()).Append(planted));

        Assert.Null(image);
        Assert.Contains(errors, e => e.Contains(errorId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_call_to_an_undeclared_nanoframework_member_fails_dotnet_build_of_the_check_project()
    {
        // A copy of the check project in a temporary folder, pointed at this repository's sources, plus one planted
        // file calling Socket.Connect, which nanoFramework has but the adapters do not use, so it is not declared.
        string root = Path.GetFullPath(NanoCompiler.Metadata("RepoRoot"));
        string check = Path.Combine(root, "firmware", "PopIoT.Firmware.Check");
        string temp = Directory.CreateTempSubdirectory("popiot-nanocheck-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(temp, "NanoApi"));
            foreach (string f in Directory.EnumerateFiles(Path.Combine(check, "NanoApi"), "*.cs"))
            {
                File.Copy(f, Path.Combine(temp, "NanoApi", Path.GetFileName(f)));
            }

            foreach (string f in Directory.EnumerateFiles(check, "*.cs"))
            {
                File.Copy(f, Path.Combine(temp, Path.GetFileName(f)));
            }

            string project = File.ReadAllText(Path.Combine(check, "PopIoT.Firmware.Check.csproj"))
                .Replace("</Project>", "  <ItemGroup><Compile Include=\"Planted.cs\" /></ItemGroup>\n</Project>", StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(temp, "PopIoT.Firmware.Check.csproj"), project);
            File.WriteAllText(Path.Combine(temp, "Planted.cs"),
                "namespace PopIoT.Firmware { internal static class Planted { internal static void Call(System.Net.Sockets.Socket s) { s.Connect(null); } } }");

            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = temp };
            foreach (string a in new[] { "build", "-c", "Release", "-nologo", "-p:PopIoTRoot=" + root + Path.DirectorySeparatorChar })
            {
                start.ArgumentList.Add(a);
            }

            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            start.Environment["DOTNET_NOLOGO"] = "1";
            var watch = Stopwatch.StartNew();
            using var p = Process.Start(start)!;
            Task<string> err = p.StandardError.ReadToEndAsync();
            string output = await p.StandardOutput.ReadToEndAsync();
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
            string all = output + await err;

            Assert.True(p.ExitCode != 0, "the planted call built:\n" + all);
            Assert.Contains("Planted.cs", all, StringComparison.Ordinal);
            Assert.Contains("error CS1061", all, StringComparison.Ordinal);
            Assert.Contains("'Socket' does not contain a definition for 'Connect'", all, StringComparison.Ordinal);
            Console.WriteLine("dotnet build of the planted check project failed as expected in " + watch.Elapsed.TotalSeconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture) + " s");
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }
}
