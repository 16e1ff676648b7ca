using System;

namespace PopIoT.Core.Cbor;

/// <summary>
/// The one exception <see cref="CborReader"/> and <see cref="CborWriter"/> throw for bad data or a full buffer.
/// <see cref="Offset"/> is an index into the caller's <c>byte[]</c> (not relative to the window the reader or
/// writer was given), so a caller can point at the offending byte directly.
/// </summary>
public class CborException : Exception
{
    /// <summary>Creates the exception; the message names the error and the offset.</summary>
    /// <param name="error">What went wrong.</param>
    /// <param name="offset">Index in the caller's buffer of the byte where it went wrong.</param>
    /// <param name="detail">A short phrase naming the problem, e.g. "expected a text string but found major type 2".</param>
    public CborException(CborError error, int offset, string detail)
        : base("CBOR: " + detail + " at byte " + offset.ToString())
    {
        Error = error;
        Offset = offset;
    }

    /// <summary>What went wrong.</summary>
    public CborError Error { get; }

    /// <summary>Index in the caller's buffer of the byte where the problem was found.</summary>
    public int Offset { get; }
}
