namespace PopIoT;

/// <summary>Facts about the desktop library.</summary>
public static class PopIoTInfo
{
    /// <summary>The version of the portable core this library wraps.</summary>
    public static string CoreVersion => PopIoT.Core.CoreInfo.Version;
}
