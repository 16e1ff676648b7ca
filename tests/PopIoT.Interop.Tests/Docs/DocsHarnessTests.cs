using Xunit;

namespace PopIoT.Interop.Tests.Docs;

/// <summary>The pieces of the docs command test on their own: annotations, comments, output rules.</summary>
public sealed class DocsHarnessTests
{
    [Theory]
    [InlineData("<!-- docs-test: synopsis -->", "Synopsis")]
    [InlineData("<!-- docs-test: background -->", "Background")]
    [InlineData("<!-- docs-test: covered-by OscoreTwoProcessTests -->", "CoveredBy")]
    [InlineData("<!-- docs-test: needs coap-server-notls -->", "None")]
    [InlineData("<!-- a plain comment -->", "None")]
    public void Annotations_are_read(string line, string kind) =>
        Assert.Equal(kind, DocsAnnotation.Parse(line, "x.md:1").Kind.ToString());

    [Fact]
    public void Needs_go_with_any_kind() =>
        Assert.Equal(["coap-server-notls", "tshark"], DocsAnnotation.Parse("<!-- docs-test: background needs coap-server-notls needs tshark -->", "x.md:1").Needs);

    [Theory]
    [InlineData("<!-- docs-test: skip -->", "unknown docs-test word 'skip'")]
    [InlineData("<!-- docs-test: covered-by -->", "unknown docs-test word 'covered-by'")]
    [InlineData("<!-- docs-test: background", "malformed docs-test annotation")]
    public void A_bad_annotation_is_an_error_naming_the_place(string line, string message)
    {
        var e = Assert.Throws<FormatException>(() => DocsAnnotation.Parse(line, "x.md:7"));
        Assert.StartsWith("x.md:7: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("popiot coap serve &   # a comment", "popiot coap serve &   ")]
    [InlineData("popiot as grant --scope '[[\"/temp\",1]]' # x", "popiot as grant --scope '[[\"/temp\",1]]' ")]
    [InlineData("echo 'a # b' \"c # d\"", "echo 'a # b' \"c # d\"")]
    [InlineData("curl x#y", "curl x#y")]
    [InlineData("# only a comment", "")]
    public void Comments_are_stripped_outside_quotes(string line, string command) =>
        Assert.Equal(command, DocsScript.StripComment(line));

    [Theory]
    [InlineData("2.05 Content|...|line 9", "2.05 Content|line 1|line 9", true)]
    [InlineData("2.05 Content|...", "2.05 Content", true)]
    [InlineData("4.05 Method Not Allowed", "4.01 Unauthorized", false)]
    [InlineData("exp 2026-11-30 11:25:43Z -> t.json", "exp 2027-01-02 03:04:05Z -> t.json", true)]
    [InlineData("21.1", "21.9", true)]
    [InlineData("21.1", "hello", false)]
    [InlineData("d18443a1...", "d18443a10104", true)]
    [InlineData("d18443a1...", "d18443b10104", false)]
    [InlineData("a|b", "a|b|c", false)]
    [InlineData("a|b|c", "a|b", false)]
    public void Output_rules(string expected, string actual, bool matches) =>
        Assert.Equal(matches, DocsOutput.Matches(expected.Split('|'), actual.Split('|'), false));

    [Fact]
    public void A_background_command_is_compared_on_what_it_printed_first() =>
        Assert.True(DocsOutput.Matches(["listening on coap://127.0.0.1:5683..."], ["listening on coap://127.0.0.1:5683 (/time)", "stopped after 3 requests"], true));

    [Fact]
    public void Ports_move_together_in_commands_and_output_and_consecutive_ports_stay_consecutive()
    {
        DocsBlock server = Block("popiot coap serve --port 5790 --psk-file psks.json &", "popiot as serve --db as.db --port 5690 &");
        DocsBlock transcript = Block("$ popiot coap get coaps://127.0.0.1:5791/time -u a -k 00", "popiot: coaps://127.0.0.1:5791/time: DTLS handshake with 127.0.0.1:5791 failed", "$ popiot cbor diag d18443a10104");
        SortedSet<int> named = DocsPorts.Named([server, transcript]);
        Assert.Equal([5690, 5790, 5791], named);

        // Each run of consecutive ports gets a run of free ports with one more free after it (coaps on port + 1).
        Dictionary<int, int> map = DocsPorts.Plan(named, p => p != 20001, [20000, 21000, 22000]);
        Assert.Equal(new Dictionary<int, int> { [5690] = 21000, [5790] = 22000, [5791] = 22001 }, map);

        Assert.Equal(["popiot coap serve --port 22000 --psk-file psks.json &", "popiot as serve --db as.db --port 21000 &"], DocsPorts.Apply(server, map).Lines);
        Assert.Equal(
            ["$ popiot coap get coaps://127.0.0.1:22001/time -u a -k 00", "popiot: coaps://127.0.0.1:22001/time: DTLS handshake with 127.0.0.1:22001 failed", "$ popiot cbor diag d18443a10104"],
            DocsPorts.Apply(transcript, map).Lines);
    }

    [Fact]
    public void A_port_that_is_held_or_named_by_the_doc_is_never_chosen()
    {
        var held = new HashSet<int> { 20000, 20002 };
        Dictionary<int, int> map = DocsPorts.Plan([5683, 5699, 5700], p => !held.Contains(p), [20000, 5699, 20001, 20003, 20010]);
        Assert.Equal(new Dictionary<int, int> { [5683] = 20003, [5699] = 20010, [5700] = 20011 }, map);
        Assert.Throws<InvalidOperationException>(() => DocsPorts.Plan([5683], _ => false, [20000, 20001]));
    }

    [Theory]
    [InlineData("popiot coap serve --bind :: &", true, "popiot coap serve --port 20000 --bind :: &")]
    [InlineData("$ popiot device simulate --audience a --as-key @k", true, "$ popiot device simulate --port 20000 --audience a --as-key @k")]
    [InlineData("coap-server-notls -A 127.0.0.1 &", true, "coap-server-notls -p 20000 -A 127.0.0.1 &")]
    [InlineData("coap-server-notls -A 127.0.0.1 -p 5683 -P ,x &", true, "coap-server-notls -A 127.0.0.1 -p 20000 -P ,x &")]
    [InlineData("popiot coap get coap://127.0.0.1/time --oscore c.json", true, "popiot coap get coap://127.0.0.1:20000/time --oscore c.json")]
    [InlineData("popiot coap get 'coaps://[::1]/time' -u a -k 00", true, "popiot coap get 'coaps://[::1]:20001/time' -u a -k 00")]
    [InlineData("popiot coap get coap://example.com/time", false, "popiot coap get coap://example.com/time")]
    [InlineData("popiot as serve --db as.db &", false, "popiot as serve --db as.db &")]
    [InlineData("popiot coap serve --port 0 &", false, "popiot coap serve --port 0 &")]
    public void The_default_port_is_named_where_the_doc_leaves_it_out(string line, bool namesDefault, string moved)
    {
        Assert.Equal(namesDefault, DocsPorts.Named([Block(line)]).Contains(5683));
        Assert.Equal(moved, DocsPorts.ApplyLine(line, new Dictionary<int, int> { [5683] = 20000 }));
    }

    [Fact]
    public void A_doc_that_names_no_port_keeps_its_lines()
    {
        DocsBlock b = Block("popiot cbor diag a201020326", "popiot key new --kty oct --out k.hex", "popiot coap serve --port 0 --duration 30 &");
        Assert.Empty(DocsPorts.Named([b]));
        Assert.Same(b, DocsPorts.Apply(b, DocsPorts.PlanFree(DocsPorts.Named([b]))));
    }

    private static DocsBlock Block(params string[] lines) => new("x.md", 1, lines, DocsAnnotation.Nothing);
}
