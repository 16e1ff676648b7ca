using CsCheck;

using PopIoT.Core.Cbor;
using PopIoT.Core.Device;

using Xunit;

namespace PopIoT.Core.Tests.Device;

/// <summary>
/// The coap_dtls entries of the board-settings record (docs/firmware.md, "Provisioning"): 18 the ACE profiles, 19 DTLS
/// sessions, 20 the handshake pool. They reach the firmware's runtime settings (the DTLS engine and its sizes), an
/// OSCORE-only record is written as before they existed, and a DTLS record without its sizes, or sizes without DTLS,
/// is refused naming the entry.
/// </summary>
public class DeviceBoardSettingsDtlsTests
{
    private static DeviceBoardSettings Dtls(int profiles, int sessions = 2, int handshakes = 1)
    {
        DeviceBoardSettings s = DeviceBoardSettingsTests.Sample();
        s.BlockSzx = 4;
        s.Profiles = profiles;
        s.DtlsSessions = sessions;
        s.DtlsHandshakes = handshakes;
        return s;
    }

    private static byte[] Encode(DeviceBoardSettings s)
    {
        byte[] b = new byte[DeviceBoardSettings.MaxEncodedLength];
        return b[..s.Encode(b, 0, b.Length)];
    }

    [Theory]
    [InlineData(DeviceBoardSettings.ProfileDtls, false)]
    [InlineData(DeviceBoardSettings.ProfileBoth, true)]
    public void A_dtls_record_round_trips_and_gives_the_runtime_its_dtls_engine(int profiles, bool oscore)
    {
        byte[] record = Encode(Dtls(profiles, 3, 2));

        Assert.Equal(DeviceRecordError.None, DeviceBoardSettings.Parse(record, 0, record.Length, out DeviceBoardSettings? s, out int field));
        Assert.Equal(0, field);
        Assert.Equal((profiles, 3, 2, true), (s!.Profiles, s.DtlsSessions, s.DtlsHandshakes, s.ServesDtls));
        DeviceRuntimeSettings r = s.ToRuntimeSettings("coap://rs1", "coap://as/token");
        r.Validate();
        Assert.Equal((oscore, true), (r.Ace.ServesOscore, r.Ace.ServesDtls));
        Assert.Equal((3, 2), (r.Dtls.MaxSessions, r.Dtls.MaxHandshakes));

        // RFC 6347 §4.1.1.1: one whole CoAP message in one record; RFC 9202 §3.3.2: a token as the psk_identity.
        Assert.Equal(384 + DeviceRuntimeSettings.DtlsRecordOverhead, r.Dtls.DatagramSize);
        Assert.Equal(r.Coap.MaxMessageSize + DeviceRuntimeSettings.DtlsRecordOverhead, r.Dtls.DatagramSize);
        // A token as the identity, as long as an unfragmented ClientKeyExchange carries it in one datagram.
        Assert.Equal(Math.Min(s.MaxTokenBytes, r.Dtls.DatagramSize - DeviceRuntimeSettings.DtlsIdentityOverhead), r.Dtls.MaxIdentityLength);
        Assert.Equal(394, r.Dtls.MaxIdentityLength);
        Assert.Equal((2, 0), (r.Dtls.OutboxCapacity, r.Dtls.OutOfOrderMessages));
        Assert.Equal(s.AckTimeoutMs, r.Dtls.InitialRetransmitMs);
        Assert.Equal((s.MaxPeers, s.MaxObservers, s.ClockTickMs), (r.MaxPeers, r.MaxObservers, r.ClockTickMs));
    }

    [Fact]
    public void An_oscore_only_record_carries_no_dtls_entries_and_gives_no_dtls_engine()
    {
        DeviceBoardSettings o = DeviceBoardSettingsTests.Sample();
        byte[] record = Encode(o);

        var r = new CborReader(record, 0, record.Length);
        Assert.Equal(17, r.ReadStartMap());
        Assert.Equal(DeviceRecordError.None, DeviceBoardSettings.Parse(record, 0, record.Length, out DeviceBoardSettings? s, out _));
        Assert.Equal((DeviceBoardSettings.ProfileOscore, 0, 0, false), (s!.Profiles, s.DtlsSessions, s.DtlsHandshakes, s.ServesDtls));
        DeviceRuntimeSettings rs = s.ToRuntimeSettings("coap://rs1", "coap://as/token");
        rs.Validate();
        Assert.Null(rs.Dtls);
        Assert.Equal((true, false), (rs.Ace.ServesOscore, rs.Ace.ServesDtls));

        // Entry 18 given explicitly as oscore only is the same record.
        byte[] explicitOscore = DeviceBoardSettingsTests.Rewrite(record, extra: w => { w.WriteInt32(18); w.WriteInt32(1); });
        Assert.Equal(DeviceRecordError.None, DeviceBoardSettings.Parse(explicitOscore, 0, explicitOscore.Length, out DeviceBoardSettings? e, out _));
        Assert.Equal(record, Encode(e!));
    }

    [Theory]
    [InlineData(19)]
    [InlineData(20)]
    public void A_dtls_record_without_its_sizes_is_half_a_configuration(int key)
    {
        byte[] record = DeviceBoardSettingsTests.Rewrite(Encode(Dtls(DeviceBoardSettings.ProfileBoth)), skipKey: key);

        Assert.Equal(DeviceRecordError.MissingField, DeviceBoardSettings.Parse(record, 0, record.Length, out DeviceBoardSettings? s, out int field));
        Assert.Equal(key, field);
        Assert.Null(s);
    }

    [Theory]
    [InlineData(18, 0)]
    [InlineData(18, 4)]
    [InlineData(19, 0)]
    [InlineData(19, 65)]
    [InlineData(20, 0)]
    [InlineData(20, 3)] // more handshakes than sessions
    public void Out_of_range_dtls_entries_are_refused_naming_their_key(int key, int value)
    {
        byte[] record = DeviceBoardSettingsTests.Rewrite(Encode(Dtls(DeviceBoardSettings.ProfileBoth)), replaceKey: key, replaceWith: w => w.WriteInt32(value));

        Assert.Equal(DeviceRecordError.OutOfRange, DeviceBoardSettings.Parse(record, 0, record.Length, out DeviceBoardSettings? s, out int field));
        Assert.Equal(key, field);
        Assert.Null(s);
    }

    [Fact]
    public void Dtls_sizes_in_an_oscore_only_record_are_refused()
    {
        byte[] record = DeviceBoardSettingsTests.Rewrite(Encode(Dtls(DeviceBoardSettings.ProfileBoth)), replaceKey: 18, replaceWith: w => w.WriteInt32(1));

        Assert.Equal(DeviceRecordError.OutOfRange, DeviceBoardSettings.Parse(record, 0, record.Length, out _, out int field));
        Assert.Equal(19, field);
        var e = Assert.Throws<ArgumentException>(() => Encode(Dtls(DeviceBoardSettings.ProfileOscore)));
        Assert.Contains("entry 19", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mutated_dtls_records_never_throw_and_a_parsed_one_always_validates()
    {
        byte[] record = Encode(Dtls(DeviceBoardSettings.ProfileBoth));
        Gen.Select(Gen.Int[0, record.Length - 1], Gen.Byte).Array[1, 4].Sample(edits =>
        {
            byte[] m = (byte[])record.Clone();
            foreach ((int at, byte value) in edits)
            {
                m[at] = value;
            }

            DeviceRecordError e = DeviceBoardSettings.Parse(m, 0, m.Length, out DeviceBoardSettings? s, out _);
            Assert.Equal(e == DeviceRecordError.None, s != null);
            if (s != null)
            {
                Assert.Equal(DeviceRecordError.None, s.Validate(out _));
                Assert.Equal(s.ServesDtls, s.ToRuntimeSettings("a", "b").Dtls != null);
            }
        }, iter: 3000);
    }
}
