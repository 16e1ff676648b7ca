using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace PopIoT.Interop.Tests.Docs;

/// <summary>
/// The docs name fixed loopback ports (5683, 5690, 5699 ...), which another process on the machine may hold while the
/// docs run. The runner moves each doc to free ports: every loopback port a doc's runnable blocks name, in a command or
/// in the output shown, is mapped to a free one, the same for the whole doc, and consecutive ports stay consecutive
/// with the next one free too (coaps listens on the CoAP port + 1, RFC 7252 §6.1, §6.2). The default port is named
/// where the doc leaves it out (coap://127.0.0.1/time, a server without --port), so it moves too. The doc's text is
/// unchanged; a failure names the ports used.
/// </summary>
internal static partial class DocsPorts
{
    private const int DefaultCoapPort = 5683;

    // Below the ephemeral ranges (Linux 32768-60999, Windows and macOS 49152-65535), so no client socket the docs'
    // commands open takes one of them between the check and the server's bind.
    private const int LowestCandidate = 20000;
    private const int CandidateCount = 12000;

    /// <summary>The loopback ports the blocks name, the default CoAP port included when a block relies on it.</summary>
    public static SortedSet<int> Named(IEnumerable<DocsBlock> blocks)
    {
        var ports = new SortedSet<int>();
        foreach (string line in blocks.SelectMany(b => b.Lines))
        {
            foreach (Match m in PortInContext().Matches(line))
            {
                ports.Add(int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture));
            }

            if (ImplicitUri().IsMatch(line) || (ServerCommand().IsMatch(line) && !PortOption().IsMatch(line)))
            {
                ports.Add(DefaultCoapPort);
            }
        }

        return ports;
    }

    /// <summary>
    /// A free port for each named one: each run of consecutive ports gets a run of as many free ports, plus one free
    /// port after it (for coaps on port + 1).
    /// </summary>
    /// <param name="named">The doc's ports.</param>
    /// <param name="isFree">Whether a port is free now.</param>
    /// <param name="candidates">Where runs may start, tried in order.</param>
    public static Dictionary<int, int> Plan(SortedSet<int> named, Func<int, bool> isFree, IEnumerable<int> candidates)
    {
        var map = new Dictionary<int, int>();
        var taken = new HashSet<int>();
        using IEnumerator<int> next = candidates.GetEnumerator();
        foreach ((int first, int length) in Runs(named))
        {
            while (true)
            {
                if (!next.MoveNext())
                {
                    throw new InvalidOperationException("no " + (length + 1) + " consecutive free ports for " + first);
                }

                int start = next.Current;
                if (start + length <= IPEndPoint.MaxPort && Enumerable.Range(start, length + 1).All(p => !taken.Contains(p) && !named.Contains(p) && isFree(p)))
                {
                    for (int i = 0; i <= length; i++)
                    {
                        taken.Add(start + i);
                    }

                    for (int i = 0; i < length; i++)
                    {
                        map[first + i] = start + i;
                    }

                    break;
                }
            }
        }

        return map;
    }

    /// <summary>Plans with the machine's free UDP ports (IPv4 and IPv6), from random candidates below the ephemeral range.</summary>
    public static Dictionary<int, int> PlanFree(SortedSet<int> named) =>
        Plan(named, IsFreeUdp, Enumerable.Range(0, 2000).Select(_ => LowestCandidate + Random.Shared.Next(CandidateCount)));

    /// <summary>The block with its ports moved (commands and the output shown alike).</summary>
    public static DocsBlock Apply(DocsBlock block, IReadOnlyDictionary<int, int> map)
    {
        if (map.Count == 0)
        {
            return block;
        }

        return block with { Lines = block.Lines.Select(l => ApplyLine(l, map)).ToList() };
    }

    /// <summary>One line with its ports moved.</summary>
    public static string ApplyLine(string line, IReadOnlyDictionary<int, int> map)
    {
        string moved = PortInContext().Replace(line, m =>
        {
            int port = int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture);
            return map.TryGetValue(port, out int to) ? m.Value[..^m.Groups["port"].Length] + to.ToString(CultureInfo.InvariantCulture) : m.Value;
        });
        if (map.TryGetValue(DefaultCoapPort, out int coap))
        {
            // RFC 7252 §6.1, §6.2: coap:// without a port is 5683, coaps:// 5684 (the port after it).
            moved = ImplicitUri().Replace(moved, m => m.Groups["scheme"].Value + "://" + m.Groups["host"].Value + ":"
                + (m.Groups["scheme"].Value == "coaps" ? coap + 1 : coap).ToString(CultureInfo.InvariantCulture) + m.Groups["rest"].Value);
            if (ServerCommand().IsMatch(moved) && !PortOption().IsMatch(moved))
            {
                Match server = ServerCommand().Match(moved);
                string flag = server.Groups["program"].Value.StartsWith("coap-server", StringComparison.Ordinal) ? " -p " : " --port ";
                moved = moved.Insert(server.Index + server.Length, flag + coap.ToString(CultureInfo.InvariantCulture));
            }
        }

        return moved;
    }

    /// <summary>The mapping as text for a failure message, e.g. "5683→23117, 5690→27002".</summary>
    public static string Describe(IReadOnlyDictionary<int, int> map) =>
        map.Count == 0 ? "none" : string.Join(", ", map.OrderBy(p => p.Key).Select(p => p.Key + "→" + p.Value));

    private static IEnumerable<(int First, int Length)> Runs(SortedSet<int> ports)
    {
        int first = -1;
        int last = -1;
        foreach (int p in ports)
        {
            if (first >= 0 && p == last + 1)
            {
                last = p;
                continue;
            }

            if (first >= 0)
            {
                yield return (first, last - first + 1);
            }

            first = last = p;
        }

        if (first >= 0)
        {
            yield return (first, last - first + 1);
        }
    }

    private static bool IsFreeUdp(int port)
    {
        try
        {
            using var v4 = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            v4.Bind(new IPEndPoint(IPAddress.Any, port));
            if (Socket.OSSupportsIPv6)
            {
                using var v6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
                v6.Bind(new IPEndPoint(IPAddress.IPv6Any, port));
            }

            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    // A loopback port: after 127.0.0.1: / localhost: / [::1]: or --port / -p.
    [GeneratedRegex(@"(?:(?:127\.0\.0\.1|localhost|\[::1\]):|--port[ =]|(?<=\s)-p )(?<port>[1-9]\d{3,4})(?!\d)")]
    private static partial Regex PortInContext();

    // A coap:// or coaps:// URI to a loopback host without a port.
    [GeneratedRegex(@"(?<scheme>coaps?)://(?<host>127\.0\.0\.1|localhost|\[::1\])(?<rest>[/\s'""]|$)")]
    private static partial Regex ImplicitUri();

    // A command that serves on the default CoAP port unless told otherwise (as serve's default is 5690, and credentials
    // made without --as-uri name it, so it is left alone).
    [GeneratedRegex(@"(?:^|\$ |&& )(?<program>popiot (?:coap serve|device simulate)|coap-server-(?:notls|openssl|gnutls))(?=\s|$)")]
    private static partial Regex ServerCommand();

    [GeneratedRegex(@"--port[ =]|\s-p ")]
    private static partial Regex PortOption();
}
