using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace PopIoT.Core.Tests.NanoSubset;

/// <summary>
/// Compiles C# source in memory the way firmware/PopIoT.Firmware.Check does: against
/// nanoFramework's mscorlib only, with NANOFRAMEWORK_1_0 defined. Lets the guard tests
/// build deliberately bad assemblies without a fixture project.
/// </summary>
internal static class NanoCompiler
{
    public static string Metadata(string key) =>
        typeof(NanoCompiler).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException("assembly metadata " + key + " is empty");

    public static string NanoMscorlib => Path.GetFullPath(Metadata("NanoMscorlib"));

    /// <summary>Every .cs of src/PopIoT.Core, as the nano check project includes them.</summary>
    public static IEnumerable<string> CoreSources()
    {
        string dir = Path.GetFullPath(Metadata("CoreSourceDir"));
        char s = Path.DirectorySeparatorChar;
        return Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains(s + "obj" + s, StringComparison.Ordinal) && !f.Contains(s + "bin" + s, StringComparison.Ordinal))
            .Select(File.ReadAllText);
    }

    /// <summary>
    /// Everything firmware/PopIoT.Firmware.Check compiles besides Core: the firmware (shared flow and board adapters),
    /// and the compile-only nanoFramework API declarations.
    /// </summary>
    public static IEnumerable<string> FirmwareCheckSources()
    {
        string root = Path.GetFullPath(Metadata("RepoRoot"));
        char s = Path.DirectorySeparatorChar;
        string check = Path.Combine(root, "firmware", "PopIoT.Firmware.Check");
        return Directory.EnumerateFiles(Path.Combine(root, "firmware", "PopIoT.Firmware"), "*.cs", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(Path.Combine(check, "NanoApi"), "*.cs"))
            .Concat(Directory.EnumerateFiles(check, "*.cs"))
            .Where(f => !f.Contains(s + "obj" + s, StringComparison.Ordinal) && !f.Contains(s + "bin" + s, StringComparison.Ordinal))
            .Select(File.ReadAllText);
    }

    /// <summary>Compiles against nano mscorlib. Returns the image, or the compiler errors.</summary>
    public static (byte[]? Image, IReadOnlyList<string> Errors) Compile(IEnumerable<string> sources, IEnumerable<MetadataReference>? references = null)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest, preprocessorSymbols: ["NANOFRAMEWORK_1_0"]);
        var compilation = CSharpCompilation.Create(
            "NanoGuardProbe",
            sources.Select(src => CSharpSyntaxTree.ParseText(src, parse)),
            references ?? [MetadataReference.CreateFromFile(NanoMscorlib)],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, deterministic: true));
        using var pe = new MemoryStream();
        var result = compilation.Emit(pe);
        var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        return (result.Success ? pe.ToArray() : null, errors);
    }

    /// <summary>References to the desktop runtime, to build an assembly that is wrong in every way at once.</summary>
    public static IEnumerable<MetadataReference> DesktopReferences() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.Ordinal))
            .Select(p => MetadataReference.CreateFromFile(p));
}
