using System;

using PopIoT.Core.Ace;
using PopIoT.Core.Cbor;

using Xunit;

namespace PopIoT.Core.Tests.Ace;

/// <summary>Every reason has its own name, a response code and an error map a client can read back.</summary>
public class AceRsErrorsTests
{
    [Fact]
    public void Every_reason_has_its_enum_name_and_a_code()
    {
        foreach (AceRsError e in Enum.GetValues<AceRsError>())
        {
            Assert.Equal(e.ToString(), AceRsErrors.Name(e));
            Assert.Equal(e == AceRsError.None, AceRsErrors.GetCoapCode(e) == 0);
        }
    }

    [Fact]
    public void Error_map_round_trips()
    {
        byte[] b = new byte[64];
        var w = new CborWriter(b);
        AceErrorResponse.Encode(AceRsError.UnknownProfile, w);
        Assert.True(AceErrorResponse.TryParse(b, 0, w.BytesWritten, out int code, out string? reason));
        Assert.Equal(AceErrorCode.IncompatibleAceProfiles, code);
        Assert.Equal("UnknownProfile", reason);
        Assert.False(AceErrorResponse.TryParse([0xa1], 0, 1, out _, out _));
    }

    [Fact]
    public void Client_helpers_refuse_malformed_responses()
    {
        Assert.False(AuthzInfoResponse.TryParse([0xa1, 0x18, 0x2a], 0, 3, out _, out _));
        Assert.False(AuthzInfoResponse.TryParse([0xa1, 0x18, 0x2a, 0x41, 0x01], 0, 5, out _, out _));
        Assert.Null(AsCreationHints.TryParse([0xa1, 0x05, 0x61, 0x61], 0, 4));
        Assert.Throws<ArgumentException>(() => AuthzInfoRequest.Encode([1], [1], null));
    }
}
