using System.Text;
using System.Text.Json;
using CsCheck;
using PopIoT.Coap;
using PopIoT.Core;
using PopIoT.Core.Dtls;
using Xunit;

namespace PopIoT.Tests.Coap;

/// <summary>The PSK file parser on arbitrary and on generated input (docs/dtls.md, "CoAP over DTLS from the command line").</summary>
public class DtlsPskTablePropertyTests
{
    [Fact]
    public void Arbitrary_text_gives_a_table_or_a_format_error_never_another_exception()
    {
        Gen.OneOf(Gen.String, Gen.String.Select(s => "{\"" + s + "\": \"" + s + "\"}"), Gen.Byte.Array[0, 200].Select(b => Encoding.UTF8.GetString(b))).Sample(text =>
        {
            try
            {
                using DtlsPskTable t = DtlsPskTable.Parse(text, "psks.json");
                Assert.True(t.Count > 0);
            }
            catch (FormatException e)
            {
                Assert.Contains("psks.json", e.Message, StringComparison.Ordinal);
            }
        });
    }

    [Fact]
    public void Generated_files_map_every_identity_bytes_whole_to_its_key()
    {
        var entry = Gen.Select(Gen.Byte.Array[1, 40], Gen.Byte.Array[1, DtlsPskTable.MaxKeyLength], Gen.Bool);
        entry.Array[1, 8].Sample(entries =>
        {
            var distinct = entries.GroupBy(e => Convert.ToHexString(e.Item1)).Select(g => g.First()).ToArray();
            var json = new Dictionary<string, string>();
            foreach ((byte[] id, byte[] key, bool asText) in distinct)
            {
                // Text form only for identities that are UTF-8 without a "hex:" prefix; hex form for any bytes.
                string name = asText && IsPlainUtf8(id) ? Encoding.UTF8.GetString(id) : DtlsPskTable.HexPrefix + Convert.ToHexStringLower(id);
                json[name] = Convert.ToHexStringLower(key);
            }

            using DtlsPskTable table = DtlsPskTable.Parse(JsonSerializer.Serialize(json), "gen.json");
            Assert.Equal(distinct.Length, table.Count);
            foreach ((byte[] id, byte[] key, _) in distinct)
            {
                byte[] room = new byte[DtlsPskTable.MaxKeyLength];
                Assert.Equal(key.Length, table.FindKey(0, ByteRange.Of(id), ByteRange.Of(room)));
                Assert.Equal(key, room.AsSpan(0, key.Length).ToArray());

                // One byte more or less is another identity (nothing is cut at a zero byte or compared by prefix).
                byte[] longer = [.. id, 0];
                if (!distinct.Any(d => d.Item1.AsSpan().SequenceEqual(longer)))
                {
                    Assert.Equal(0, table.FindKey(0, ByteRange.Of(longer), ByteRange.Of(room)));
                }

                if (id.Length > 1 && !distinct.Any(d => d.Item1.AsSpan().SequenceEqual(id.AsSpan(0, id.Length - 1))))
                {
                    Assert.Equal(0, table.FindKey(0, new ByteRange(id, 0, id.Length - 1), ByteRange.Of(room)));
                }
            }
        });
    }

    [Fact]
    public void A_key_larger_than_the_engine_s_buffer_is_refused_with_internal_error_not_cut()
    {
        using var table = new DtlsPskTable();
        Assert.True(table.TryAdd("id"u8, new byte[32]));
        Assert.Equal(-DtlsAlert.InternalError, table.FindKey(0, ByteRange.Of("id"u8.ToArray()), ByteRange.Of(new byte[16])));
    }

    private static bool IsPlainUtf8(byte[] id)
    {
        try
        {
            string s = new UTF8Encoding(false, true).GetString(id);
            return !s.StartsWith(DtlsPskTable.HexPrefix, StringComparison.OrdinalIgnoreCase) && Encoding.UTF8.GetBytes(s).AsSpan().SequenceEqual(id);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
