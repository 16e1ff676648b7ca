using System.Text.RegularExpressions;

namespace PopIoT.Interop.Tests.Docs;

/// <summary>
/// One fenced code block of a doc that holds a <c>popiot</c> command, with the <c>docs-test</c> annotation on the line
/// before its fence (docs/cli.md, "The docs run as written").
/// </summary>
internal sealed partial record DocsBlock(string File, int Line, IReadOnlyList<string> Lines, DocsAnnotation Annotation)
{
    /// <summary>A transcript shows commands after "$ " with their output below; otherwise every line is a command.</summary>
    public bool IsTranscript => Lines.Any(l => l.StartsWith("$ ", StringComparison.Ordinal));

    /// <summary>The fenced blocks of a markdown file that name a popiot command, in order.</summary>
    public static List<DocsBlock> Read(string path, string name)
    {
        string[] text = System.IO.File.ReadAllLines(path);
        var blocks = new List<DocsBlock>();
        for (int i = 0; i < text.Length; i++)
        {
            Match open = Fence().Match(text[i]);
            if (!open.Success)
            {
                continue;
            }

            int indent = open.Groups[1].Length;
            int start = i + 1;
            int end = start;
            while (end < text.Length && !text[end].TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                end++;
            }

            var lines = text[start..end].Select(l => l.Length >= indent && l[..indent].Trim().Length == 0 ? l[indent..] : l.TrimStart()).ToList();
            string? above = i > 0 ? text[i - 1].Trim() : null;
            DocsAnnotation annotation = DocsAnnotation.Parse(above, name + ":" + (i + 1));
            if (lines.Any(l => Popiot().IsMatch(l)) || annotation.Kind != DocsAnnotationKind.None)
            {
                blocks.Add(new DocsBlock(name, start + 1, lines, annotation));
            }

            i = end;
        }

        return blocks;
    }

    [GeneratedRegex(@"^(\s*)```")]
    private static partial Regex Fence();

    // A command line: "popiot ..." or "$ popiot ...", or popiot after "$(" / "|" / "&&".
    [GeneratedRegex(@"(^(\$ )?|\$\(|\| |&& )popiot\s")]
    private static partial Regex Popiot();
}
