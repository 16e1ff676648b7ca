using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using PopIoT.Interop.Tests.Peers;
using Xunit;

namespace PopIoT.Interop.Tests.Docs;

/// <summary>
/// Every <c>popiot</c> command in a code block of docs/*.md runs as written (docs/cli.md, "The docs run as written"):
/// each doc's blocks run in order in one bash, in a fresh directory, with <c>popiot</c> on PATH; a transcript's output
/// must match what it shows. A block not run says why in its annotation, and the reason is checked too.
/// </summary>
public sealed partial class DocsCommandTests : TempDirectoryTest
{
    public static TheoryData<string> Docs()
    {
        var data = new TheoryData<string>();
        foreach (string f in Directory.GetFiles(DocsDir, "*.md").Order(StringComparer.Ordinal))
        {
            if (DocsBlock.Read(f, Path.GetFileName(f)).Count > 0)
            {
                data.Add(Path.GetFileName(f));
            }
        }

        return data;
    }

    private static string DocsDir
    {
        get
        {
            for (DirectoryInfo? d = new(AppContext.BaseDirectory); d != null; d = d.Parent)
            {
                if (File.Exists(Path.Combine(d.FullName, "PopIoT.sln")))
                {
                    return Path.Combine(d.FullName, "docs");
                }
            }

            throw new InvalidOperationException("PopIoT.sln not found above " + AppContext.BaseDirectory);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Docs))]
    public void The_commands_of_the_doc_run_as_written(string doc)
    {
        RequireShell();
        List<DocsBlock> blocks = DocsBlock.Read(Path.Combine(DocsDir, doc), doc);
        foreach (string program in blocks.SelectMany(b => b.Annotation.Needs).Distinct())
        {
            PeerRequirement.Require(PeerRequirement.FindOnPath(program) == null ? program + " is not on PATH (" + doc + " runs it; .ci/run installs it)" : null);
        }

        List<string> failures = Run(blocks, Dir, out string bash);
        Assert.True(failures.Count == 0, doc + ":\n" + string.Join("\n\n", failures) + "\n-- bash: " + bash);
    }

    // The harness itself, on a doc made to fail in each way it checks: it must catch every one.
    [SkippableFact]
    public void A_doc_whose_commands_fail_or_print_otherwise_is_reported_line_by_line()
    {
        RequireShell();
        string md = F("bad.md");
        File.WriteAllText(md, """
            # A doc with mistakes

            ```
            $ popiot cbor diag a201020326
            {1: 2, 3: -7}
            $ popiot cbor diag a201020326
            {1: 2, 3: -8}
            $ popiot cbor diag a2616101
            popiot: malformed CBOR...
            $ echo $?
            1
            $ popiot cbor diag d818454401020304
            24(h'4401020304')
            ```

            <!-- docs-test: background -->
            ```
            $ popiot coap serve --port 0 --duration 30
            popiot coap serve: listening on coap://10.0.0.1...
            ```

            ```sh
            popiot key new --kty oct --out k.hex
            popiot key new --kty oct --out k.hex     # exists: exit 2, and the script stops here
            popiot cbor diag 00
            ```
            """);
        string work = Directory.CreateDirectory(F("work")).FullName;
        List<string> failures = Run(DocsBlock.Read(md, "bad.md"), work, out _);
        Assert.True(failures.Count == 5, string.Join("\n\n", failures));
        Assert.Contains(failures, f => f.StartsWith("bad.md:6: `popiot cbor diag a201020326` printed", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("bad.md:8: `popiot cbor diag a2616101` exited 2, the doc implies 1", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("bad.md:10: `echo $?` printed\n2\n", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("bad.md:18: `popiot coap serve --port 0 --duration 30` printed", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("bad.md:24: `popiot key new --kty oct --out k.hex     # exists: exit 2, and the script stops here` exited 2", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(work, "__out_8")), "the script went on after a failed command");
        Assert.True(File.Exists(Path.Combine(work, "__out_7")));
    }

    // A doc's fixed port held by another process does not fail the doc: it runs on free ports.
    [SkippableFact]
    public void A_doc_whose_port_another_process_holds_runs_on_free_ports()
    {
        RequireShell();
        using var holder = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 0));
        int held = ((System.Net.IPEndPoint)holder.Client.LocalEndPoint!).Port;
        string md = F("held.md");
        File.WriteAllText(md, $$"""
            # A doc on a port that is taken

            ```sh
            popiot coap serve --port {{held}} --duration 60 &
            ```

            ```
            $ popiot coap get coap://127.0.0.1:{{held}}/time
            2.05 Content
            ...
            ```
            """);
        string work = Directory.CreateDirectory(F("work")).FullName;
        List<string> failures = Run(DocsBlock.Read(md, "held.md"), work, out string bash);
        Assert.True(failures.Count == 0, string.Join("\n\n", failures) + "\n-- bash: " + bash);
        Assert.DoesNotContain("--port " + held, File.ReadAllText(Path.Combine(work, "doc.sh")), StringComparison.Ordinal);
    }

    // The script runs in bash and waits for background servers with ss (iproute2) and pgrep (procps).
    private static void RequireShell()
    {
        PeerRequirement.Require(OperatingSystem.IsWindows() ? "the docs' commands are for a POSIX shell (bash)" : null);
        foreach ((string program, string package) in new[] { ("bash", "bash"), ("ss", "iproute2"), ("pgrep", "procps") })
        {
            PeerRequirement.Require(PeerRequirement.FindOnPath(program) == null ? program + " is not on PATH (apt-get install " + package + ")" : null);
        }
    }

    private static List<string> Run(List<DocsBlock> blocks, string dir, out string bashOutput)
    {
        // The doc's fixed ports may be held by another process on this machine: the doc runs on free ones (DocsPorts).
        List<DocsBlock> runnable = [.. blocks.Where(b => b.Annotation.Kind is DocsAnnotationKind.None or DocsAnnotationKind.Background)];
        Dictionary<int, int> ports = DocsPorts.PlanFree(DocsPorts.Named(runnable));
        List<string> failures = RunOn([.. runnable.Select(b => DocsPorts.Apply(b, ports))], dir, out bashOutput);
        return [.. failures.Select(f => ports.Count == 0 ? f : f + "\n(the doc's ports moved to free ones: " + DocsPorts.Describe(ports) + ")")];
    }

    private static List<string> RunOn(List<DocsBlock> runnable, string dir, out string bashOutput)
    {
        var steps = new List<DocsStep>();
        string script = DocsScript.Build(runnable, steps);
        Assert.NotEmpty(steps);
        string path = Path.Combine(dir, "doc.sh");
        File.WriteAllText(path, script);
        string bin = Directory.CreateDirectory(Path.Combine(dir, "bin")).FullName;
        string popiot = Path.Combine(bin, "popiot");
        File.WriteAllText(popiot, "#!/bin/sh\nexec dotnet '" + PopIotProcesses.Cli + "' \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(popiot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var info = new ProcessStartInfo("bash", [path]) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["PATH"] = bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        using Process bash = Process.Start(info)!;
        Task<string> err = bash.StandardError.ReadToEndAsync();
        Task<string> output = bash.StandardOutput.ReadToEndAsync();
        string Out(DocsStep step)
        {
            string file = Path.Combine(dir, "__out_" + step.Id.ToString(CultureInfo.InvariantCulture));
            return File.Exists(file) ? File.ReadAllText(file, Encoding.UTF8) : "(no output)";
        }

        if (!bash.WaitForExit(240_000))
        {
            bash.Kill(entireProcessTree: true);
            string last = steps.LastOrDefault(s => File.Exists(Path.Combine(dir, "__out_" + s.Id.ToString(CultureInfo.InvariantCulture))))?.Where ?? "none";
            bashOutput = string.Empty;
            return ["the commands did not finish within 240 s; the last to start was " + last];
        }

        var failures = new List<string>();
        string failed = Path.Combine(dir, "__failed");
        if (File.Exists(failed))
        {
            string[] f = File.ReadAllText(failed).Split(' ', StringSplitOptions.TrimEntries);
            DocsStep step = steps[int.Parse(f[0], CultureInfo.InvariantCulture)];
            failures.Add(step.Where + ": `" + step.Command + "` " + (f[1] switch
            {
                "exited" => "ended before it listened",
                "no-udp-port" => "bound no UDP port within 30 s",
                _ => "exited " + f[1],
            }) + ":\n" + Out(step));
        }

        foreach (DocsStep step in steps.Where(s => s.Transcript))
        {
            string rc = Path.Combine(dir, "__rc_" + step.Id.ToString(CultureInfo.InvariantCulture));
            if (!File.Exists(Path.Combine(dir, "__out_" + step.Id.ToString(CultureInfo.InvariantCulture))) || (!step.Background && !File.Exists(rc)))
            {
                failures.Add(step.Where + ": `" + step.Command + "` did not run");
                continue;
            }

            if (!step.Background)
            {
                int code = int.Parse(File.ReadAllText(rc).Trim(), CultureInfo.InvariantCulture);
                if (code != step.ExpectedExitCode)
                {
                    failures.Add(step.Where + ": `" + step.Command + "` exited " + code + ", the doc implies " + step.ExpectedExitCode + ":\n" + Out(step));
                    continue;
                }
            }

            string[] actual = Out(step).Split('\n');
            if (actual.Length > 0 && actual[^1].Length == 0)
            {
                actual = actual[..^1];
            }

            if (step.ExpectedOutput.Count > 0 && !DocsOutput.Matches(step.ExpectedOutput, actual, step.Background))
            {
                failures.Add(step.Where + ": `" + step.Command + "` printed\n" + string.Join('\n', actual) + "\nbut the doc shows\n" + string.Join('\n', step.ExpectedOutput));
            }
        }

        bashOutput = output.Result + err.Result;
        return failures;
    }

    [Fact]
    public void Every_block_not_run_names_an_existing_test_that_runs_it_and_every_synopsis_names_real_options()
    {
        var problems = new List<string>();
        var types = typeof(DocsCommandTests).Assembly.GetTypes().Select(t => t.Name)
            .Concat(TestAssemblyTypes("PopIoT.Tests")).Concat(TestAssemblyTypes("PopIoT.AuthorizationServer.Tests")).ToHashSet(StringComparer.Ordinal);
        foreach (string f in Directory.GetFiles(DocsDir, "*.md"))
        {
            foreach (DocsBlock b in DocsBlock.Read(f, Path.GetFileName(f)))
            {
                string where = b.File + ":" + b.Line;
                if (b.Annotation.Kind == DocsAnnotationKind.CoveredBy && !types.Contains(b.Annotation.CoveredBy!))
                {
                    problems.Add(where + ": covered-by " + b.Annotation.CoveredBy + " names no test class");
                }

                if (b.Annotation.Kind == DocsAnnotationKind.Synopsis)
                {
                    string text = string.Join(' ', b.Lines);
                    Match command = SynopsisCommand().Match(text);
                    if (!command.Success)
                    {
                        problems.Add(where + ": a synopsis starts with popiot and its subcommands");
                        continue;
                    }

                    string[] path = command.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    CliRunner.Result help = CliRunner.Run([.. path, "--help"]);
                    foreach (Match option in Option().Matches(text))
                    {
                        if (!Regex.IsMatch(help.Out, "(^|[\\s,])" + Regex.Escape(option.Value) + "([\\s,<]|$)", RegexOptions.Multiline))
                        {
                            problems.Add(where + ": " + option.Value + " is not an option of `popiot " + string.Join(' ', path) + "`");
                        }
                    }
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    private static IEnumerable<string> TestAssemblyTypes(string name)
    {
        string path = Path.Combine(Path.GetDirectoryName(DocsDir)!, "tests", name, "bin", "Release", "net10.0", name + ".dll");
        if (!File.Exists(path))
        {
            path = path.Replace(Path.Combine("bin", "Release"), Path.Combine("bin", "Debug"), StringComparison.Ordinal);
        }

        // Type names from the metadata alone, without loading the assembly into this test run.
        using var stream = File.OpenRead(path);
        using var pe = new System.Reflection.PortableExecutable.PEReader(stream);
        System.Reflection.Metadata.MetadataReader md = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
        return md.TypeDefinitions.Select(h => md.GetString(md.GetTypeDefinition(h).Name)).ToList();
    }

    [GeneratedRegex(@"^popiot((?: [a-z][a-z-]*)+)")]
    private static partial Regex SynopsisCommand();

    [GeneratedRegex(@"--[a-z][a-z0-9-]*")]
    private static partial Regex Option();
}
