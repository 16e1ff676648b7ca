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
}
