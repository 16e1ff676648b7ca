namespace PopIoT.AuthorizationServer.Hosting;

/// <summary>
/// The AS's configuration cannot be used: a file that is missing or not JSON, or a key in section "As" that is unknown
/// or has a bad value. The message names the file or environment variable and the key.
/// </summary>
public sealed class AuthorizationServerConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AuthorizationServerConfigurationException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the source and the key.</param>
    public AuthorizationServerConfigurationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the source and the key.</param>
    /// <param name="innerException">The cause.</param>
    public AuthorizationServerConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
