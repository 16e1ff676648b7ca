using System.Globalization;
using System.Text;

namespace PopIoT.Interop.Tests.Docs;

/// <summary>One command of a doc as the script runs it.</summary>
internal sealed record DocsStep(int Id, string File, int Line, string Command, bool Transcript, bool Background, int ExpectedExitCode, IReadOnlyList<string> ExpectedOutput)
{
    public string Where => File + ":" + Line.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Turns the runnable blocks of one doc into one bash script, run in one working directory in the doc's order, as a
/// reader with one shell (and a second terminal for what ends in <c>&amp;</c>) would (docs/cli.md, "The docs run as
/// written"): a command ending in <c>&amp;</c> is started in the background and waited for until it has bound a UDP
/// port; every other command must exit 0, or with the code a following <c>$ echo $?</c> shows; the first failing
/// command of a plain block stops the script. Background processes are stopped when the doc ends.
/// </summary>
internal static partial class DocsScript
{
    private const string Preamble = """
        __fail() { echo "$1 $2" >> __failed; exit 1; }
        # Ready when it (or a child) has a UDP socket: the servers bind before they serve, and CoAP retransmits.
        __ready() {
          local i c
          for i in $(seq 1 600); do
            for c in $1 $(pgrep -P $1 2>/dev/null); do
              if ss -Hulnp 2>/dev/null | grep -q "pid=$c,"; then return 0; fi
            done
            kill -0 $1 2>/dev/null || __fail $2 exited
            sleep 0.05
          done
          __fail $2 no-udp-port
        }
        __waitout() { local i; for i in $(seq 1 200); do [ -s "$1" ] && return 0; sleep 0.05; done; }
        __stop() {
          local j i
          for j in $(jobs -p); do kill -TERM $j 2>/dev/null; done
          for i in $(seq 1 100); do [ -z "$(jobs -pr)" ] && break; sleep 0.05; done
          for j in $(jobs -pr); do kill -KILL $j 2>/dev/null; done
          wait 2>/dev/null
        }
        trap __stop EXIT
        __last=0

        """;

    public static string Build(IEnumerable<DocsBlock> blocks, List<DocsStep> steps)
    {
        var script = new StringBuilder(Preamble);
        foreach (DocsBlock b in blocks)
        {
            if (b.IsTranscript)
            {
                AddTranscript(b, script, steps);
            }
            else
            {
                AddCommands(b, script, steps);
            }
        }

        script.Append("exit 0\n");
        return script.ToString();
    }

    private static void AddCommands(DocsBlock b, StringBuilder script, List<DocsStep> steps)
    {
        for (int i = 0; i < b.Lines.Count; i++)
        {
            int line = b.Line + i;
            string command = b.Lines[i];
            while (command.EndsWith('\\') && i + 1 < b.Lines.Count)
            {
                command = command[..^1] + " " + b.Lines[++i].Trim();
            }

            string code = StripComment(command).Trim();
            if (code.Length == 0)
            {
                continue;
            }

            bool background = code.EndsWith('&') && !code.EndsWith("&&", StringComparison.Ordinal);
            var step = new DocsStep(steps.Count, b.File, line, command.Trim(), false, background, 0, []);
            steps.Add(step);
            string id = step.Id.ToString(CultureInfo.InvariantCulture);
            if (background)
            {
                script.Append(code[..^1].TrimEnd()).Append(" > __out_").Append(id).Append(" 2>&1 & __ready $! ").Append(id).Append('\n');
            }
            else
            {
                script.Append("{ ").Append(command).Append("\n} > __out_").Append(id).Append(" 2>&1; __rc=$?; [ $__rc -eq 0 ] || __fail ").Append(id).Append(" $__rc\n");
            }
        }
    }

    private static void AddTranscript(DocsBlock b, StringBuilder script, List<DocsStep> steps)
    {
        bool background = b.Annotation.Kind == DocsAnnotationKind.Background;
        var commands = new List<(int Line, string Command, List<string> Output)>();
        for (int i = 0; i < b.Lines.Count; i++)
        {
            string l = b.Lines[i];
            if (l.StartsWith("$ ", StringComparison.Ordinal))
            {
                commands.Add((b.Line + i, l[2..], []));
            }
            else if (commands.Count > 0 && !l.TrimStart().StartsWith('#'))
            {
                commands[^1].Output.Add(l.TrimEnd());
            }
        }

        for (int c = 0; c < commands.Count; c++)
        {
            (int line, string command, List<string> output) = commands[c];
            while (output.Count > 0 && output[^1].Length == 0)
            {
                output.RemoveAt(output.Count - 1);
            }

            // The exit code the doc shows with a following "$ echo $?"; else 1 when the output shown starts with a
            // CoAP error response (docs/coap.md: 1 for a 4.xx/5.xx), else 0.
            int expected = output.Count > 0 && ErrorResponse().IsMatch(output[0]) ? 1 : 0;
            if (c + 1 < commands.Count && commands[c + 1].Command.Trim() == "echo $?" && commands[c + 1].Output.Count > 0)
            {
                expected = int.Parse(commands[c + 1].Output[0].Trim(), CultureInfo.InvariantCulture);
            }

            var step = new DocsStep(steps.Count, b.File, line, command, true, background, expected, output);
            steps.Add(step);
            string id = step.Id.ToString(CultureInfo.InvariantCulture);
            if (background)
            {
                script.Append(StripComment(command).Trim()).Append(" > __out_").Append(id).Append(" 2>&1 & __ready $! ").Append(id).Append("; __waitout __out_").Append(id).Append('\n');
            }
            else
            {
                script.Append("( exit $__last ); { ").Append(command).Append("\n} > __out_").Append(id).Append(" 2>&1; __last=$?; echo $__last > __rc_").Append(id).Append('\n');
            }
        }
    }

    /// <summary>The command without a trailing shell comment (a '#' outside quotes at the start or after white space).</summary>
    public static string StripComment(string line)
    {
        char quote = '\0';
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (quote != '\0')
            {
                quote = ch == quote ? '\0' : quote;
            }
            else if (ch is '\'' or '"')
            {
                quote = ch;
            }
            else if (ch == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1])))
            {
                return line[..i];
            }
        }

        return line;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^[45]\.\d\d [A-Z]")]
    private static partial System.Text.RegularExpressions.Regex ErrorResponse();
}
