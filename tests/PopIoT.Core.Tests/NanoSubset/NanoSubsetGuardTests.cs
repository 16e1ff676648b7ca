using Xunit;

namespace PopIoT.Core.Tests.NanoSubset;

/// <summary>
/// DESIGN.md §4: PopIoT.Core must run on stable nanoFramework. The nano check project proves
/// it compiles against nano's mscorlib; these tests prove its output has nothing the nano CLR
/// cannot load, and that the guard really catches what it claims to.
/// </summary>
public class NanoSubsetGuardTests
{
    [Fact]
    public void Nano_check_output_passes_the_guard()
    {
        string path = Path.GetFullPath(NanoCompiler.Metadata("NanoCheckAssembly"));
        Assert.True(File.Exists(path), "build firmware/PopIoT.Firmware.Check first; missing " + path);

        var violations = MetadataGuard.FindViolations(File.ReadAllBytes(path));

        Assert.True(violations.Count == 0, "nano subset violations in " + path + ":\n" + string.Join("\n", violations));
    }

    [Fact]
    public void Core_sources_compiled_in_memory_against_nano_mscorlib_pass_the_guard()
    {
        var (image, errors) = NanoCompiler.Compile(NanoCompiler.CoreSources());

        Assert.True(image != null, string.Join("\n", errors));
        Assert.Empty(MetadataGuard.FindViolations(image!));
    }

    [Fact]
    public void Guard_rejects_a_generic_class_added_to_core()
    {
        // The guard's reason to exist: `class Box<T> {}` in Core compiles against nano's
        // mscorlib, so only the guard can stop it.
        var (image, errors) = NanoCompiler.Compile(NanoCompiler.CoreSources().Append("namespace PopIoT.Core { internal class Box<T> { internal T Value; } }"));

        Assert.True(image != null, string.Join("\n", errors));
        var violations = MetadataGuard.FindViolations(image!);
        Assert.Contains(violations, v => v.Contains("generic parameter 'T' on type Box`1", StringComparison.Ordinal));
    }

    [Fact]
    public void A_list_of_int_in_core_fails_the_nano_compile()
    {
        var (image, errors) = NanoCompiler.Compile(NanoCompiler.CoreSources().Append(
            "namespace PopIoT.Core { internal static class Bad { internal static object Make() { return new System.Collections.Generic.List<int>(); } } }"));

        Assert.Null(image);
        Assert.Contains(errors, e => e.Contains("CS0234", StringComparison.Ordinal) && e.Contains("'Generic'", StringComparison.Ordinal));
    }

    [Fact]
    public void Guard_rejects_a_generic_method_call_and_its_methodspec()
    {
        const string src = """
            namespace Bad
            {
                public static class G
                {
                    public static T Id<T>(T x) { return x; }
                    public static int Use() { return Id(3); }
                }
            }
            """;
        var (image, errors) = NanoCompiler.Compile([src]);

        Assert.True(image != null, string.Join("\n", errors));
        var violations = MetadataGuard.FindViolations(image!);
        Assert.Contains(violations, v => v.Contains("generic parameter 'T' on method Id", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("MethodSpec", StringComparison.Ordinal));
    }

    [Fact]
    public void Guard_rejects_a_func_lambda_built_against_nano_mscorlib()
    {
        // nano's mscorlib has no Func; a library that declares its own generic delegate and
        // uses a lambda of it still produces generic instantiations the nano CLR cannot run.
        const string src = """
            namespace System { public delegate TResult Func<in T, out TResult>(T arg); }
            namespace Bad
            {
                public static class L
                {
                    public static int Apply(int v) { System.Func<int, int> f = x => x + 1; return f(v); }
                }
            }
            """;
        var (image, errors) = NanoCompiler.Compile([src]);

        Assert.True(image != null, string.Join("\n", errors));
        var violations = MetadataGuard.FindViolations(image!);
        Assert.Contains(violations, v => v.Contains("generic instantiation Func`2<Int32,Int32>", StringComparison.Ordinal));
    }

    [Fact]
    public void Guard_rejects_desktop_references_generics_and_func_lambdas_together()
    {
        const string src = """
            using System;
            using System.Collections.Generic;
            namespace Bad
            {
                public class Box<T> { public T Value; }
                public static class L
                {
                    public static List<int> Items = new List<int>();
                    public static int Apply(int v) { Func<int, int> f = x => x * 2; return f(v) + Items.Count; }
                }
            }
            """;
        var (image, errors) = NanoCompiler.Compile([src], NanoCompiler.DesktopReferences());

        Assert.True(image != null, string.Join("\n", errors));
        var violations = MetadataGuard.FindViolations(image!);
        Assert.Contains(violations, v => v.StartsWith("references assembly 'System.", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("generic parameter 'T' on type Box`1", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("field Bad.L.Items uses generic instantiation List`1<Int32>", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("Func`2<Int32,Int32>", StringComparison.Ordinal));
    }
}
