namespace PopIoT.AuthorizationServer.Storage;

/// <summary>A store cannot do what was asked: a missing database, a schema it does not know, a duplicate or unknown name.</summary>
public sealed class AuthorizationStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AuthorizationStoreException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong, for an operator.</param>
    public AuthorizationStoreException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="inner">The cause.</param>
    public AuthorizationStoreException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
