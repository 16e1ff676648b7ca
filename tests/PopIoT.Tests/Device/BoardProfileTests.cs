using System.Text.Json;
using System.Text.Json.Nodes;
using PopIoT.Device;
using Xunit;

namespace PopIoT.Tests.Device;

/// <summary>Loading and validating hardware/boards/*.json (docs/firmware.md "Board profiles").</summary>
public sealed class BoardProfileTests : TempDirectoryTest
{
    [Fact]
    public void Every_shipped_profile_loads_and_names_the_source_of_its_heap_figure()
    {
        Assert.Equal(5, BoardProfiles.Names.Count());
        foreach (string name in BoardProfiles.Names)
        {
            BoardProfile p = BoardProfiles.Load(name);
            Assert.Equal(name, p.Id);
            Assert.Contains("nf-interpreter", p.HeapSource, StringComparison.Ordinal);
            Assert.InRange(p.PopIotHeapBytes, 1, p.HeapBytes);
            Assert.Equal(p.Slots, p.ToSettings("coap://d", "coap://as").Slots);
        }

        Assert.Equal("I:", BoardProfiles.Load("esp32-c3").Storage);
        Assert.Equal("native", BoardProfiles.Load("esp32-c3").Crypto);
        Assert.Equal("sntp", BoardProfiles.Load("esp32-devkitc").Clock);
    }

    [Theory]
    [InlineData("heap", null, "missing field 'heap'")]
    [InlineData("slots", "0", "field 'slots' must be an integer in 1..1024")]
    [InlineData("replayWindow", "\"wide\"", "field 'replayWindow' must be an integer in 32..256")]
    [InlineData("clock", "\"gps\"", "field 'clock' is 'gps'; expected one of sntp, rtc, none")]
    [InlineData("popiotHeapShare", "1.5", "field 'popiotHeapShare' must be a number in 0.01..1")]
    [InlineData("colour", "\"red\"", "unknown field 'colour'")]
    public void A_bad_field_is_refused_with_the_file_and_field_named(string field, string? value, string message)
    {
        JsonObject json = JsonNode.Parse(File.ReadAllText(Path.Combine(BoardProfiles.Dir, "esp32-c3.json")))!.AsObject();
        if (value == null)
        {
            json.Remove(field);
        }
        else
        {
            json[field] = JsonNode.Parse(value);
        }

        string file = F("bad.json");
        File.WriteAllText(file, json.ToJsonString());
        var e = Assert.Throws<FormatException>(() => BoardProfile.Load(file));
        Assert.Contains("board profile '" + file + "'", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"sessions\": 2, \"handshakes\": 1, \"keyExchange\": \"rpk\"}", "boards do PSK only")]
    [InlineData("{\"sessions\": 1, \"handshakes\": 2}", "'dtls.handshakes' must not exceed 'dtls.sessions'")]
    [InlineData("{\"sessions\": 0, \"handshakes\": 1}", "field 'dtls.sessions' must be an integer in 1..64")]
    [InlineData("{\"sessions\": 2, \"handshakes\": 1, \"ecdhe\": true}", "unknown field 'dtls.ecdhe'")]
    public void The_dtls_object_states_sessions_and_the_handshake_pool_and_psk_only(string dtls, string message)
    {
        JsonObject json = JsonNode.Parse(File.ReadAllText(Path.Combine(BoardProfiles.Dir, "esp32-c3.json")))!.AsObject();
        json["dtls"] = JsonNode.Parse(dtls);
        File.WriteAllText(F("d.json"), json.ToJsonString());
        Assert.Contains(message, Assert.Throws<FormatException>(() => BoardProfile.Load(F("d.json"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_shipped_profile_states_its_dtls_sessions_and_the_runtime_it_gives_serves_both_profiles()
    {
        foreach (string file in Directory.GetFiles(BoardProfiles.Dir, "*.json"))
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(file));
            JsonElement d = doc.RootElement.GetProperty("dtls");
            Assert.Equal("psk", d.GetProperty("keyExchange").GetString());
            BoardProfile p = BoardProfile.Load(file);
            Assert.Equal(d.GetProperty("sessions").GetInt32(), p.DtlsSessions);
            Assert.Equal(d.GetProperty("handshakes").GetInt32(), p.DtlsHandshakes);
            var both = p.ToRuntimeSettings("coap://d", "coap://as", "both");
            Assert.True(both.Ace.ServesOscore && both.Ace.ServesDtls);
            Assert.Equal(p.DtlsSessions, both.Dtls.MaxSessions);
            Assert.Equal(p.MaxMessageBytes + 37, both.Dtls.DatagramSize);
            Assert.Null(p.ToRuntimeSettings("coap://d", "coap://as").Dtls);
        }
    }

    [Fact]
    public void A_nested_field_is_named_with_its_path()
    {
        JsonObject json = JsonNode.Parse(File.ReadAllText(Path.Combine(BoardProfiles.Dir, "esp32-c3.json")))!.AsObject();
        json["timers"]!.AsObject().Remove("ackTimeoutMs");
        File.WriteAllText(F("b.json"), json.ToJsonString());
        Assert.Contains("missing field 'timers.ackTimeoutMs'", Assert.Throws<FormatException>(() => BoardProfile.Load(F("b.json"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Not_json_and_a_path_as_a_board_name_are_refused()
    {
        File.WriteAllText(F("x.json"), "{ nope");
        Assert.Contains("is not JSON", Assert.Throws<FormatException>(() => BoardProfile.Load(F("x.json"))).Message, StringComparison.Ordinal);
        Assert.Contains("must be a file stem", Assert.Throws<FormatException>(() => BoardProfile.Find("../x", null, Dir)).Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", Assert.Throws<FormatException>(() => BoardProfile.Find("nosuch", Dir, Dir)).Message, StringComparison.Ordinal);
    }
}
