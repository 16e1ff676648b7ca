using System.Text.RegularExpressions;

namespace PopIoT.Interop.Tests.Docs;

/// <summary>What the line <c>&lt;!-- docs-test: ... --&gt;</c> above a block says (docs/cli.md, "The docs run as written").</summary>
internal enum DocsAnnotationKind
{
    /// <summary>No annotation: the block is run as written.</summary>
    None,

    /// <summary><c>synopsis</c>: a command's synopsis, not a command; every option it names must be in that command's help.</summary>
    Synopsis,

    /// <summary><c>background</c>: the transcript's commands keep running (a second terminal); they are started in the background.</summary>
    Background,

    /// <summary><c>covered-by TYPE</c>: not run here; the test class TYPE runs these commands (it must exist).</summary>
    CoveredBy,
}

/// <summary>The parsed annotation; <c>needs PROGRAM</c> may be added to any kind (a peer the block runs).</summary>
internal sealed partial record DocsAnnotation(DocsAnnotationKind Kind, string? CoveredBy, IReadOnlyList<string> Needs)
{
    public static readonly DocsAnnotation Nothing = new(DocsAnnotationKind.None, null, []);

    public static DocsAnnotation Parse(string? line, string where)
    {
        if (line == null || !line.StartsWith("<!-- docs-test:", StringComparison.Ordinal))
        {
            return Nothing;
        }

        Match m = Shape().Match(line);
        if (!m.Success)
        {
            throw new FormatException(where + ": malformed docs-test annotation '" + line + "'");
        }

        DocsAnnotationKind kind = DocsAnnotationKind.None;
        string? covered = null;
        var needs = new List<string>();
        string[] words = m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < words.Length; i++)
        {
            switch (words[i])
            {
                case "synopsis":
                    kind = DocsAnnotationKind.Synopsis;
                    break;
                case "background":
                    kind = DocsAnnotationKind.Background;
                    break;
                case "covered-by" when i + 1 < words.Length:
                    kind = DocsAnnotationKind.CoveredBy;
                    covered = words[++i];
                    break;
                case "needs" when i + 1 < words.Length:
                    needs.Add(words[++i]);
                    break;
                default:
                    throw new FormatException(where + ": unknown docs-test word '" + words[i] + "' (synopsis, background, covered-by TYPE, needs PROGRAM)");
            }
        }

        return new DocsAnnotation(kind, covered, needs);
    }

    [GeneratedRegex(@"^<!-- docs-test:(.*)-->$")]
    private static partial Regex Shape();
}
