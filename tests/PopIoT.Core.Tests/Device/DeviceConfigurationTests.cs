#nullable disable
using System;

using PopIoT.Core.Ace;
using PopIoT.Core.Cbor;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Core.Device;
using PopIoT.Core.Tests.Ace;

using Xunit;

namespace PopIoT.Core.Tests.Device;

/// <summary>The AS–RS configuration record a board loads at start (docs/device.md, "Device configuration").</summary>
public class DeviceConfigurationTests
{
    [Fact]
    public void The_dtls_key_derivation_key_loads_from_key_6_only_with_derive_key_as_its_one_purpose()
    {
        byte[] With(CoseKey k) => Record(w =>
        {
            w.WriteStartMap(5);
            w.WriteInt32(1);
            w.WriteTextString(AceTestSupport.Audience);
            w.WriteInt32(2);
            w.WriteTextString(AceTestSupport.AsUri);
            w.WriteInt32(3);
            w.WriteInt32(CoseTag.Mac0);
            w.WriteInt32(4);
            AceTestSupport.AsMacKey().Encode(w);
            w.WriteInt32(6);
            k.Encode(w);
        });

        byte[] good = With(AceDtlsSupport.DerivationKey());
        Assert.Equal(DeviceConfigurationError.None, DeviceConfiguration.Parse(good, 0, good.Length, out DeviceConfiguration c));
        Assert.NotNull(c.DerivationKey);
        var ace = new AceRsSettings(c.Audience, c.AsUri) { ServesDtls = true };
        using (var engine = new AceResourceServer(ace, AceTestSupport.Provider()))
        {
            c.Apply(engine);
            Assert.True(engine.HasDtlsKeyDerivationKey);
        }

        // An OSCORE-only engine ignores it (the record serves both kinds of device).
        using (var oscore = new AceResourceServer(new AceRsSettings(c.Audience, c.AsUri), AceTestSupport.Provider()))
        {
            c.Apply(oscore);
            Assert.False(oscore.HasDtlsKeyDerivationKey);
        }

        var mixed = CoseKey.Symmetric(AceDtlsSupport.DerivationKeyBytes, 0, null);
        mixed.SetKeyOperations([CoseKeyOperation.DeriveKey, CoseKeyOperation.MacVerify]);
        byte[] bad = With(mixed);
        Assert.Equal(DeviceConfigurationError.InvalidKey, DeviceConfiguration.Parse(bad, 0, bad.Length, out _));
        byte[] noOps = With(CoseKey.Symmetric(AceDtlsSupport.DerivationKeyBytes, 0, null));
        Assert.Equal(DeviceConfigurationError.InvalidKey, DeviceConfiguration.Parse(noOps, 0, noOps.Length, out _));
    }

    [Fact]
    public void A_mac0_configuration_loads_and_gives_the_engine_working_keys()
    {
        byte[] record = Record(w =>
        {
            w.WriteStartMap(5);
            w.WriteInt32(1);
            w.WriteTextString(AceTestSupport.Audience);
            w.WriteInt32(2);
            w.WriteTextString(AceTestSupport.AsUri);
            w.WriteInt32(3);
            w.WriteInt32(CoseTag.Mac0);
            w.WriteInt32(4);
            AceTestSupport.AsMacKey().Encode(w);
            w.WriteInt32(5);
            AceTestSupport.AsEncKey().Encode(w);
        });

        Assert.Equal(DeviceConfigurationError.None, DeviceConfiguration.Parse(record, 0, record.Length, out DeviceConfiguration c));
        Assert.Equal(AceTestSupport.Audience, c.Audience);
        Assert.Equal(AceTestSupport.AsUri, c.AsUri);
        Assert.Equal(CoseTag.Mac0, c.Protection);
        Assert.NotNull(c.CnfKey);

        // Through the storage, as a board's Main reads it.
        var storage = new MemoryDeviceStorage(2);
        Assert.True(storage.Write(DeviceRecords.Configuration, record, 0, record.Length));
        byte[] buffer = new byte[512];
        int n = storage.Read(DeviceRecords.Configuration, buffer, 0, buffer.Length);
        Assert.Equal(DeviceConfigurationError.None, DeviceConfiguration.Parse(buffer, 0, n, out c));
        using var engine = new AceResourceServer(new AceRsSettings(c.Audience, c.AsUri), AceTestSupport.Provider());
        c.Apply(engine);
        Assert.Equal(CoseTag.Mac0, engine.TokenProtection);
        engine.AddProtectedResource("/temp", CoapMethods.Get, new TestResource(CoapCode.Content, "x"));
        engine.AddScope("read", "/temp", CoapMethods.Get);
        engine.Tick(AceTestSupport.Start);
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Post };
        m.AddUriPath("/authz-info");
        m.AddUintOption(CoapOptionNumber.ContentFormat, CoapContentFormat.AceCbor);
        byte[] token = AceTestSupport.Mint(new TokenSpec { Protection = "mac0" });
        byte[] payload = AuthzInfoRequest.Encode(token, [1, 2, 3, 4, 5, 6, 7, 8], [0x10]);
        m.SetPayload(payload, 0, payload.Length);
        var response = new CoapMessage();
        engine.HandleRequest(1, m, response);
        Assert.Equal(CoapCode.Created, response.Code);
    }

    [Theory]
    [InlineData("a2 01 61 78 02 61 79", DeviceConfigurationError.InvalidProtection)]
    [InlineData("a3 01 61 78 02 61 79 03 11", DeviceConfigurationError.MissingTokenKey)]
    [InlineData("a3 01 60 02 61 79 03 11", DeviceConfigurationError.MissingAudience)]
    [InlineData("a2 01 61 78 03 11", DeviceConfigurationError.MissingAsUri)]
    [InlineData("a3 01 61 78 02 61 79 03 05", DeviceConfigurationError.InvalidProtection)]
    [InlineData("a2 01 61 78 01 61 79", DeviceConfigurationError.Malformed)]
    [InlineData("a1 09 00", DeviceConfigurationError.Malformed)]
    [InlineData("a1 01 01", DeviceConfigurationError.Malformed)]
    [InlineData("a1 01 61 78 00", DeviceConfigurationError.Malformed)]
    [InlineData("a1 01", DeviceConfigurationError.Malformed)]
    [InlineData("80", DeviceConfigurationError.Malformed)]
    [InlineData("", DeviceConfigurationError.Malformed)]
    [InlineData("a4 01 61 78 02 61 79 03 11 04 a1 01 04", DeviceConfigurationError.InvalidKey)]
    [InlineData("a4 01 61 78 02 61 79 03 11 04 41 00", DeviceConfigurationError.InvalidKey)]
    public void A_bad_configuration_record_is_refused_with_its_reason(string hex, DeviceConfigurationError expected)
    {
        byte[] record = Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
        Assert.Equal(expected, DeviceConfiguration.Parse(record, 0, record.Length, out DeviceConfiguration c));
        Assert.Null(c);
    }

    private static byte[] Record(Action<CborWriter> write)
    {
        byte[] buffer = new byte[512];
        var w = new CborWriter(buffer);
        write(w);
        return buffer.AsSpan(0, w.BytesWritten).ToArray();
    }
}
