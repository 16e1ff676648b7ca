using CsCheck;

using PopIoT.Core.Cbor;
using PopIoT.Core.Device;

using Xunit;

namespace PopIoT.Core.Tests.Device;

/// <summary>
/// The board-settings and Wi-Fi records a board reads at boot (docs/firmware.md, "Provisioning"): they round-trip,
/// every missing, unknown, duplicate, mistyped or out-of-range entry refuses the whole record naming its key, and
/// random or mutated bytes never throw.
/// </summary>
public class DeviceBoardSettingsTests
{
    internal static DeviceBoardSettings Sample() => new()
    {
        Board = "esp32-c3",
        Slots = 8,
        ReplayWindow = 64,
        MaxTokenBytes = 512,
        BlockSzx = 6,
        AckTimeoutMs = 2000,
        AckRandomFactorPermille = 1500,
        MaxRetransmit = 4,
        ClockTickMs = 1000,
        Clock = DeviceBoardSettings.ClockSntp,
        Network = DeviceBoardSettings.NetworkWifi,
        Mtu = 1500,
        LedPin = 8,
        MaxPeers = 16,
        MaxObservers = 8,
        NativeCrypto = true,
        SntpServer = "time.example",
    };

    private static byte[] Encode(DeviceBoardSettings s)
    {
        byte[] b = new byte[DeviceBoardSettings.MaxEncodedLength];
        int n = s.Encode(b, 0, b.Length);
        return b[..n];
    }

    [Fact]
    public void Settings_round_trip_and_give_the_engine_and_coap_settings()
    {
        byte[] record = Encode(Sample());

        Assert.Equal(DeviceRecordError.None, DeviceBoardSettings.Parse(record, 0, record.Length, out DeviceBoardSettings? s, out int field));
        Assert.Equal(0, field);
        Assert.Equal(Encode(Sample()), Encode(s!));
        Assert.Equal("esp32-c3", s!.Board);
        Assert.Equal("time.example", s.SntpServer);
        Assert.True(s.NativeCrypto);
        var ace = s.ToAceRsSettings("coap://rs1", "coap://as/token");
        ace.Validate();
        Assert.Equal((8, 64, 512, 6, true), (ace.Slots, ace.ReplayWindowSize, ace.MaxTokenSize, ace.MaxBlockSzx, ace.HasClock));
        var coap = s.ToCoapSettings();
        coap.Validate();
        Assert.Equal((2000, 1500, 4), (coap.AckTimeoutMs, coap.AckRandomFactorPermille, coap.MaxRetransmit));
        s.Clock = DeviceBoardSettings.ClockNone;
        Assert.False(s.ToAceRsSettings("a", "b").HasClock);
    }

    [Theory]
    [InlineData(1500, 6, 1152)]
    [InlineData(1500, 4, 384)]
    [InlineData(1280, 6, 1152)]
    [InlineData(576, 6, 528)]
    public void The_firmware_gets_the_device_sized_message_layer_the_budget_measures(int mtu, int szx, int message)
    {
        DeviceBoardSettings b = Sample();
        b.Mtu = mtu;
        b.BlockSzx = szx;
        PopIoT.Core.Coap.CoapSettings c = b.ToCoapSettings();
        PopIoT.Core.Coap.CoapSettings device = new DeviceRuntimeSettings().Coap;

        // The same tables as the simulator's device (DeviceRuntimeSettings), not a desktop server's.
        Assert.Equal(
            (message, device.MaxExchanges, device.DeduplicationCapacity, device.OutboxCapacity, device.NonRecordCapacity, device.MaxPeers),
            (c.MaxMessageSize, c.MaxExchanges, c.DeduplicationCapacity, c.OutboxCapacity, c.NonRecordCapacity, c.MaxPeers));
        Assert.Equal(message, c.DeduplicationPoolLimit);
        Assert.Equal(2000, c.AckTimeoutMs);
        PopIoT.Core.Ace.AceRsSettings ace = b.ToAceRsSettings("coap://device", "coap://as.example/token");
        Assert.Equal(message, ace.MaxMessageSize);
        Assert.Equal(DeviceRuntimeSettings.DeviceMaxResources, ace.MaxResources);
    }

    [Fact]
    public void Without_an_sntp_server_the_default_is_used()
    {
        byte[] full = Encode(Sample());
        byte[] record = Rewrite(full, skipKey: 17);

        Assert.Equal(DeviceRecordError.None, DeviceBoardSettings.Parse(record, 0, record.Length, out DeviceBoardSettings? s, out _));
        Assert.Equal(DeviceBoardSettings.DefaultSntpServer, s!.SntpServer);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(8)]
    [InlineData(10)]
    [InlineData(15)]
    [InlineData(16)]
    public void A_missing_required_entry_refuses_the_record_and_names_its_key(int key)
    {
        byte[] record = Rewrite(Encode(Sample()), skipKey: key);

        Assert.Equal(DeviceRecordError.MissingField, DeviceBoardSettings.Parse(record, 0, record.Length, out DeviceBoardSettings? s, out int field));
        Assert.Equal(key, field);
        Assert.Null(s);
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(2, 256)]
    [InlineData(3, 48)] // not a multiple of 32
    [InlineData(3, 288)]
    [InlineData(4, 63)]
    [InlineData(5, 7)]
    [InlineData(6, 99)]
    [InlineData(7, 999)]
    [InlineData(8, 11)]
    [InlineData(9, 9)]
    [InlineData(10, 3)]
    [InlineData(11, 3)]
    [InlineData(12, 575)]
    [InlineData(13, 1024)]
    [InlineData(14, 0)]
    [InlineData(15, 256)]
    [InlineData(16, 2)]
    [InlineData(4, int.MaxValue)]
    public void An_out_of_range_entry_refuses_the_record_and_names_its_key(int key, int value)
    {
        byte[] record = Rewrite(Encode(Sample()), replaceKey: key, replaceWith: w => w.WriteInt32(value));

        Assert.Equal(DeviceRecordError.OutOfRange, DeviceBoardSettings.Parse(record, 0, record.Length, out DeviceBoardSettings? s, out int field));
        Assert.Equal(key, field);
        Assert.Null(s);
    }

    [Fact]
    public void Integers_beyond_int32_empty_names_and_encoding_bad_values_are_refused()
    {
        byte[] huge = Rewrite(Encode(Sample()), replaceKey: 4, replaceWith: w => w.WriteUInt64(1UL << 40));
        Assert.Equal(DeviceRecordError.OutOfRange, DeviceBoardSettings.Parse(huge, 0, huge.Length, out _, out int f1));
        Assert.Equal(4, f1);

        byte[] bigger = Rewrite(Encode(Sample()), replaceKey: 4, replaceWith: w => w.WriteUInt64(0x80000000UL));
        Assert.Equal(DeviceRecordError.OutOfRange, DeviceBoardSettings.Parse(bigger, 0, bigger.Length, out _, out _));

        byte[] empty = Rewrite(Encode(Sample()), replaceKey: 1, replaceWith: w => w.WriteTextString(""));
        Assert.Equal(DeviceRecordError.OutOfRange, DeviceBoardSettings.Parse(empty, 0, empty.Length, out _, out int f2));
        Assert.Equal(1, f2);

        var bad = Sample();
        bad.ReplayWindow = 40;
        var e = Assert.Throws<ArgumentException>(() => bad.Encode(new byte[DeviceBoardSettings.MaxEncodedLength], 0, DeviceBoardSettings.MaxEncodedLength));
        Assert.Contains("entry 3", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_duplicate_mistyped_and_trailing_entries_are_malformed()
    {
        byte[] full = Encode(Sample());
        byte[] unknown = Rewrite(full, extra: w => { w.WriteInt32(21); w.WriteInt32(1); });
        byte[] duplicate = Rewrite(full, extra: w => { w.WriteInt32(2); w.WriteInt32(8); });
        byte[] negativeKey = Rewrite(full, extra: w => { w.WriteInt32(-1); w.WriteInt32(8); });
        byte[] mistyped = Rewrite(full, replaceKey: 2, replaceWith: w => w.WriteTextString("8"));
        byte[] negative = Rewrite(full, replaceKey: 2, replaceWith: w => w.WriteInt32(-8));
        byte[] trailing = [.. full, 0x00];

        foreach (byte[] r in new[] { unknown, duplicate, negativeKey, mistyped, negative, trailing, [], [0xa0], [0x80], full[..^1] })
        {
            Assert.NotEqual(DeviceRecordError.None, DeviceBoardSettings.Parse(r, 0, r.Length, out DeviceBoardSettings? s, out _));
            Assert.Null(s);
        }

        Assert.Equal(DeviceRecordError.Malformed, DeviceBoardSettings.Parse(unknown, 0, unknown.Length, out _, out _));
        Assert.Equal(DeviceRecordError.Malformed, DeviceBoardSettings.Parse(duplicate, 0, duplicate.Length, out _, out _));
        Assert.Equal(DeviceRecordError.Malformed, DeviceBoardSettings.Parse(null!, 0, 1, out _, out _));
        Assert.Equal(DeviceRecordError.Malformed, DeviceBoardSettings.Parse(full, 2, full.Length, out _, out _));
    }

    [Fact]
    public void Random_and_mutated_records_never_throw_and_what_parses_is_in_range()
    {
        byte[] valid = Encode(Sample());
        Gen.Select(Gen.Byte.Array[0, 200], Gen.Int[0, 199], Gen.Byte, Gen.Bool).Sample((random, at, value, mutate) =>
        {
            byte[] r = mutate ? (byte[])valid.Clone() : random;
            if (mutate)
            {
                r[at % r.Length] = value;
            }

            DeviceRecordError e = DeviceBoardSettings.Parse(r, 0, r.Length, out DeviceBoardSettings? s, out int field);
            return e == DeviceRecordError.None ? s != null && s.Validate(out _) == DeviceRecordError.None : s == null && field >= 0;
        }, iter: 4000);
    }

    [Theory]
    [InlineData("home", "", DeviceRecordError.None)]
    [InlineData("home", "12345678", DeviceRecordError.None)]
    [InlineData("h", "correct horse battery staple, 63 characters long......... xxxxx", DeviceRecordError.None)]
    [InlineData("home", "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef", DeviceRecordError.None)]
    [InlineData("home", "1234567", DeviceRecordError.OutOfRange)]
    [InlineData("home", "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdeg", DeviceRecordError.OutOfRange)]
    [InlineData("", "12345678", DeviceRecordError.OutOfRange)]
    [InlineData("123456789012345678901234567890123", "12345678", DeviceRecordError.OutOfRange)]
    public void Wifi_credentials_round_trip_within_the_802_11_limits(string ssid, string passphrase, DeviceRecordError expected)
    {
        var c = new DeviceWifiCredentials(ssid, passphrase);
        Assert.Equal(expected, c.Validate(out _));
        if (expected != DeviceRecordError.None)
        {
            var e = Assert.Throws<ArgumentException>(() => c.Encode(new byte[256], 0, 256));
            Assert.DoesNotContain(passphrase.Length > 0 ? passphrase : "\u0001", e.Message, StringComparison.Ordinal);
            return;
        }

        byte[] b = new byte[DeviceWifiCredentials.MaxEncodedLength];
        int n = c.Encode(b, 0, b.Length);
        Assert.Equal(DeviceRecordError.None, DeviceWifiCredentials.Parse(b, 0, n, out DeviceWifiCredentials? back, out _));
        Assert.Equal((ssid, passphrase), (back!.Ssid, back.Passphrase));
    }

    [Fact]
    public void Wifi_records_missing_an_entry_or_with_extra_bytes_are_refused_and_fuzz_never_throws()
    {
        byte[] onlySsid = Cbor(w => { w.WriteStartMap(1); w.WriteInt32(1); w.WriteTextString("home"); });
        Assert.Equal(DeviceRecordError.MissingField, DeviceWifiCredentials.Parse(onlySsid, 0, onlySsid.Length, out _, out int f));
        Assert.Equal(2, f);
        byte[] dup = Cbor(w => { w.WriteStartMap(3); w.WriteInt32(1); w.WriteTextString("a"); w.WriteInt32(2); w.WriteTextString(""); w.WriteInt32(1); w.WriteTextString("b"); });
        Assert.Equal(DeviceRecordError.Malformed, DeviceWifiCredentials.Parse(dup, 0, dup.Length, out _, out _));
        byte[] bytesNotText = Cbor(w => { w.WriteStartMap(2); w.WriteInt32(1); w.WriteByteString([1]); w.WriteInt32(2); w.WriteTextString(""); });
        Assert.Equal(DeviceRecordError.Malformed, DeviceWifiCredentials.Parse(bytesNotText, 0, bytesNotText.Length, out _, out _));

        Gen.Byte.Array[0, 120].Sample(r =>
        {
            DeviceRecordError e = DeviceWifiCredentials.Parse(r, 0, r.Length, out DeviceWifiCredentials? c, out _);
            return (e == DeviceRecordError.None) == (c != null);
        }, iter: 3000);
    }

    internal static byte[] Cbor(Action<CborWriter> write)
    {
        byte[] b = new byte[512];
        var w = new CborWriter(b, 0, b.Length);
        write(w);
        return b[..w.BytesWritten];
    }

    // Re-encodes a record's map, leaving out or replacing one entry or adding one more.
    internal static byte[] Rewrite(byte[] record, int skipKey = 0, int replaceKey = 0, Action<CborWriter>? replaceWith = null, Action<CborWriter>? extra = null)
    {
        var r = new CborReader(record, 0, record.Length);
        int count = r.ReadStartMap();
        return Cbor(w =>
        {
            w.WriteStartMap(count - (skipKey != 0 ? 1 : 0) + (extra != null ? 1 : 0));
            for (int i = 0; i < count; i++)
            {
                int key = r.ReadInt32();
                r.ReadEncodedValue(out int at, out int length);
                if (key == skipKey)
                {
                    continue;
                }

                w.WriteInt32(key);
                if (key == replaceKey)
                {
                    replaceWith!(w);
                }
                else
                {
                    w.WriteEncodedValue(record, at, length);
                }
            }

            extra?.Invoke(w);
        });
    }
}
