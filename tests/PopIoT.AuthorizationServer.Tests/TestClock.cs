using PopIoT.Core.Cwt;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>The system clock for CwtValidator.</summary>
internal sealed class TestClock : ICwtClock
{
    public static readonly TestClock Now = new();

    public bool TryGetUnixTime(out long unixSeconds)
    {
        unixSeconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return true;
    }
}
