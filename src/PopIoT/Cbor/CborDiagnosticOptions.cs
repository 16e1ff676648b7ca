namespace PopIoT.Cbor;

/// <summary>Options for <see cref="CborDiagnostic"/>.</summary>
public sealed class CborDiagnosticOptions
{
    /// <summary>
    /// Print every top-level data item of a CBOR sequence (RFC 8742), separated by ", ".
    /// When false (the default), the input must hold one item; see <see cref="AllowTrailingBytes"/>.
    /// </summary>
    public bool Sequence { get; init; }

    /// <summary>
    /// When <see cref="Sequence"/> is false, do not fail on bytes after the first item: print the item followed by
    /// a comment such as <c>/ 2 trailing bytes at byte 5: h'0102' /</c> (comments as in RFC 8610 Appendix G.6).
    /// </summary>
    public bool AllowTrailingBytes { get; init; }

    /// <summary>
    /// Write non-ASCII characters of text strings as \uXXXX escapes, as RFC 8949 Appendix A does (default true).
    /// When false they are printed as themselves.
    /// </summary>
    public bool EscapeNonAscii { get; init; } = true;

    /// <summary>How deep arrays, maps and indefinite-length strings may nest (default 16).</summary>
    public int MaxDepth { get; init; } = PopIoT.Core.Cbor.CborReader.DefaultMaxDepth;
}
