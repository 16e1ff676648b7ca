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
        PeerRequirement.Require(OperatingSystem.IsWindows() ? "the docs' commands are for a POSIX shell (bash)" : null);
        List<DocsBlock> blocks = DocsBlock.Read(Path.Combine(DocsDir, doc), doc);
        foreach (string program in blocks.SelectMany(b => b.Annotation.Needs).Distinct())
        {
            PeerRequirement.Require(PeerRequirement.FindOnPath(program) == null ? program + " is not on PATH (" + doc + " runs it; .ci/run installs it)" : null);
        }

        var steps = new List<DocsStep>();
        string script = DocsScript.Build(blocks.Where(b => b.Annotation.Kind is DocsAnnotationKind.None or DocsAnnotationKind.Background), steps);
        Assert.NotEmpty(steps);
        File.WriteAllText(F("doc.sh"), script);
        string bin = Directory.CreateDirectory(F("bin")).FullName;
        string popiot = Path.Combine(bin, "popiot");
        File.WriteAllText(popiot, "#!/bin/sh\nexec dotnet '" + PopIotProcesses.Cli + "' \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(popiot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var info = new ProcessStartInfo("bash", [F("doc.sh")]) { WorkingDirectory = Dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["PATH"] = bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        using Process bash = Process.Start(info)!;
        Task<string> err = bash.StandardError.ReadToEndAsync();
        Task<string> output = bash.StandardOutput.ReadToEndAsync();
        if (!bash.WaitForExit(240_000))
        {
            bash.Kill(entireProcessTree: true);
            Assert.Fail(doc + ": the commands did not finish within 240 s; the last to start was " + LastStarted(steps));
        }

        var failures = new List<string>();
        if (File.Exists(F("__failed")))
        {
            string[] f = File.ReadAllText(F("__failed")).Split(' ', StringSplitOptions.TrimEntries);
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
            if (!File.Exists(F("__out_" + step.Id)))
            {
                failures.Add(step.Where + ": `" + step.Command + "` did not run");
                continue;
            }

            if (!step.Background)
            {
                int code = int.Parse(File.ReadAllText(F("__rc_" + step.Id)).Trim(), CultureInfo.InvariantCulture);
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

        Assert.True(failures.Count == 0, doc + ":\n" + string.Join("\n\n", failures) + "\n-- bash: " + output.Result + err.Result);
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

    private string Out(DocsStep step)
    {
        string path = F("__out_" + step.Id);
        return File.Exists(path) ? File.ReadAllText(path, Encoding.UTF8) : "(no output)";
    }

    private string LastStarted(List<DocsStep> steps) =>
        steps.LastOrDefault(s => File.Exists(F("__out_" + s.Id)))?.Where ?? "none";

    [GeneratedRegex(@"^popiot((?: [a-z][a-z-]*)+)")]
    private static partial Regex SynopsisCommand();

    [GeneratedRegex(@"--[a-z][a-z0-9-]*")]
    private static partial Regex Option();
}
