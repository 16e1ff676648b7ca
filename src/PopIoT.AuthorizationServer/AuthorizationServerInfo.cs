namespace PopIoT.AuthorizationServer;

/// <summary>Facts about the authorization server assembly.</summary>
public static class AuthorizationServerInfo
{
    /// <summary>The version of the portable core the AS is built on.</summary>
    public static string CoreVersion => PopIoTInfo.CoreVersion;
}
