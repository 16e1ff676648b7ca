namespace PopIoT.Core.Cose;

/// <summary>
/// The outcome of verifying or decrypting one COSE message. Reusable: pass the same object to
/// every call so the hot path allocates nothing. The payload slice is set only when
/// <see cref="Error"/> is <see cref="CoseError.None"/>; otherwise it is empty.
/// </summary>
public sealed class CoseResult
{
    /// <summary>Creates an empty result (<see cref="Error"/> is <see cref="CoseError.Malformed"/> until a call fills it).</summary>
    public CoseResult()
    {
        Clear();
    }

    /// <summary>Why the message was refused, or <see cref="CoseError.None"/>.</summary>
    public CoseError Error { get; private set; }

    /// <summary>True when the message verified (or decrypted) and the payload may be used.</summary>
    public bool IsValid
    {
        get { return Error == CoseError.None; }
    }

    /// <summary>Index in the message of the byte where the problem was found, or -1 when it has no position.</summary>
    public int ErrorOffset { get; private set; }

    /// <summary>The verified algorithm (its IANA number) when valid; 0 otherwise.</summary>
    public int Algorithm { get; private set; }

    /// <summary>
    /// The array holding the payload: the message for Mac0 and Sign1, the caller's plaintext buffer
    /// for Encrypt0. Null unless valid.
    /// </summary>
    public byte[] Payload { get; private set; }

    /// <summary>Where the payload starts in <see cref="Payload"/>.</summary>
    public int PayloadOffset { get; private set; }

    /// <summary>The payload length.</summary>
    public int PayloadLength { get; private set; }

    /// <summary>The message array (for <see cref="KidOffset"/>); null unless valid.</summary>
    public byte[] Message { get; private set; }

    /// <summary>Where the kid header value starts in <see cref="Message"/>, or -1 when the message has none.</summary>
    public int KidOffset { get; private set; }

    /// <summary>The kid length (0 when absent).</summary>
    public int KidLength { get; private set; }

    /// <summary>The content type when it is an integer Content-Format (RFC 9052 §3.1), or -1 when absent or text.</summary>
    public int ContentFormat { get; private set; }

    /// <summary>Copies the payload into a new array (convenience for tests and tools; the hot path reads the slice).</summary>
    /// <returns>The payload, or null unless valid.</returns>
    public byte[] PayloadToArray()
    {
        if (!IsValid)
        {
            return null;
        }

        byte[] copy = new byte[PayloadLength];
        System.Array.Copy(Payload, PayloadOffset, copy, 0, PayloadLength);
        return copy;
    }

    internal void Clear()
    {
        Error = CoseError.Malformed;
        ErrorOffset = -1;
        Algorithm = 0;
        Payload = null;
        PayloadOffset = 0;
        PayloadLength = 0;
        Message = null;
        KidOffset = -1;
        KidLength = 0;
        ContentFormat = -1;
    }

    internal CoseError Fail(CoseError error, int offset)
    {
        Clear();
        Error = error;
        ErrorOffset = offset;
        return error;
    }

    // The message's header fields (kid, content type) come from the parser that read it.
    internal CoseError Succeed(int algorithm, ByteRange payload, CoseMessageParser header)
    {
        Error = CoseError.None;
        ErrorOffset = -1;
        Algorithm = algorithm;
        Payload = payload.Buffer;
        PayloadOffset = payload.Offset;
        PayloadLength = payload.Count;
        Message = header.Buffer;
        KidOffset = header.KidOffset;
        KidLength = header.KidOffset < 0 ? 0 : header.KidLength;
        ContentFormat = header.ContentFormat;
        return CoseError.None;
    }
}
