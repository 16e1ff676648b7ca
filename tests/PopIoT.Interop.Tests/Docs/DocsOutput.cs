using System.Text.RegularExpressions;

namespace PopIoT.Interop.Tests.Docs;

/// <summary>
/// Compares what a transcript shows with what the command printed (stdout and stderr together), line by line, trailing
/// white space ignored: a line "..." (indented or not) stands for any number of lines, a line ending in "..." for any line that starts
/// with the rest, a UTC time such as 2026-11-30T08:38:33Z or 2026-11-30 11:25:43Z for any such time, and a reading (a
/// line that is only a decimal number such as 21.1, as the simulated sensor prints) for any reading. A command
/// shown without output is not compared; one started in the background is compared on what it printed first.
/// </summary>
internal static partial class DocsOutput
{
    public static bool Matches(IReadOnlyList<string> expected, IReadOnlyList<string> actual, bool prefixOnly)
    {
        return Match(expected, 0, actual, 0, prefixOnly);
    }

    private static bool Match(IReadOnlyList<string> e, int i, IReadOnlyList<string> a, int j, bool prefixOnly)
    {
        while (i < e.Count)
        {
            if (e[i].Trim() == "...")
            {
                for (int k = j; k <= a.Count; k++)
                {
                    if (Match(e, i + 1, a, k, prefixOnly))
                    {
                        return true;
                    }
                }

                return false;
            }

            if (j >= a.Count || !LineMatches(e[i], a[j]))
            {
                return false;
            }

            i++;
            j++;
        }

        return prefixOnly || j == a.Count;
    }

    private static bool LineMatches(string expected, string actual)
    {
        string e = Time().Replace(expected, "<time>");
        string a = Time().Replace(actual.TrimEnd(), "<time>");
        if (Reading().IsMatch(e) && Reading().IsMatch(a))
        {
            return true;
        }

        return e.EndsWith("...", StringComparison.Ordinal) ? a.StartsWith(e[..^3], StringComparison.Ordinal) : a == e;
    }

    [GeneratedRegex(@"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\dZ")]
    private static partial Regex Time();

    [GeneratedRegex(@"^-?\d+\.\d+$")]
    private static partial Regex Reading();
}
