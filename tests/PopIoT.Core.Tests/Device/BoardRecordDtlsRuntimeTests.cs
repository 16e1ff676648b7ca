using PopIoT.Core.Coap;
using PopIoT.Core.Device;
using PopIoT.Core.Tests.Ace;

using Xunit;

namespace PopIoT.Core.Tests.Device;

/// <summary>
/// What the firmware builds from its board record (docs/firmware.md, "The firmware"): with coap_dtls in entry 18 the
/// runtime it runs holds the DTLS engine with the record's sizes and completes an RFC 9202 PSK handshake with a token as
/// the psk_identity; an OSCORE-only record gives a runtime that answers no DTLS record.
/// </summary>
public class BoardRecordDtlsRuntimeTests
{
    private static DeviceRuntimeSettings FromRecord(int profiles)
    {
        DeviceBoardSettings b = DeviceBoardSettingsTests.Sample();
        b.BlockSzx = 6;
        b.Profiles = profiles;
        bool dtls = profiles != DeviceBoardSettings.ProfileOscore;
        b.DtlsSessions = dtls ? 2 : 0;
        b.DtlsHandshakes = dtls ? 1 : 0;
        byte[] record = new byte[DeviceBoardSettings.MaxEncodedLength];
        int n = b.Encode(record, 0, record.Length);
        Assert.Equal(DeviceRecordError.None, DeviceBoardSettings.Parse(record, 0, n, out DeviceBoardSettings? parsed, out _));
        DeviceRuntimeSettings s = parsed!.ToRuntimeSettings(AceTestSupport.Audience, AceTestSupport.AsUri);
        s.Validate();
        return s;
    }

    [Theory]
    [InlineData(DeviceBoardSettings.ProfileDtls)]
    [InlineData(DeviceBoardSettings.ProfileBoth)]
    public void A_board_record_serving_coap_dtls_runs_a_psk_handshake_with_the_token_as_identity_and_a_get(int profiles)
    {
        var rig = new DeviceRuntimeRig(FromRecord(profiles));
        rig.Runtime.Engine.SetDtlsKeyDerivationKey(AceDtlsSupport.DerivationKey());
        Assert.True(rig.Runtime.Start());
        Assert.NotNull(rig.Runtime.Dtls);

        var spec = new DtlsTokenSpec();
        var client = new DtlsRuntimeClient(rig, 3);
        Assert.True(client.Connect(AceDtlsSupport.Mint(spec), spec.Psk));
        CoapMessage temp = client.Send(CoapCode.Get, "/temp");
        Assert.Equal(CoapCode.Content, temp.Code);
    }

    [Fact]
    public void An_oscore_only_board_record_builds_no_dtls_engine_and_drops_dtls_records()
    {
        var rig = new DeviceRuntimeRig(FromRecord(DeviceBoardSettings.ProfileOscore));
        Assert.True(rig.Runtime.Start());
        Assert.Null(rig.Runtime.Dtls);

        // A ClientHello record (content type 22, RFC 6347 §4.1) gets no answer.
        int before = rig.Socket.SentCount;
        rig.Socket.Enqueue(3, [22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x01]);
        rig.Runtime.RunOnce();
        Assert.Equal(before, rig.Socket.SentCount);
    }
}
