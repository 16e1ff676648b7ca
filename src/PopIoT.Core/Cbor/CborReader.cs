using System;
using System.Runtime.CompilerServices;

namespace PopIoT.Core.Cbor;

/// <summary>
/// Reads CBOR (RFC 8949) from a window of a caller-provided buffer, one data item at a time, and rejects every
/// input that is not well-formed (RFC 8949 Appendix C, F) plus text strings that are not valid UTF-8.
/// Byte and text strings can be read as slices of the buffer without copying. Arrays, maps and
/// indefinite-length strings may nest at most <see cref="MaxDepth"/> deep; tags do not count because they
/// need no state.
/// <para>
/// Bad data is reported in one of two ways, by the same decoder. With <see cref="ThrowOnError"/> false (the sticky
/// mode, as QCBOR's decoder) the first error is kept with its offset in <see cref="Error"/> and
/// <see cref="ErrorOffset"/>; every later read returns a neutral value (0, an empty slice, <see cref="CborReaderState.Finished"/>)
/// and moves nothing, so a parser reads a whole structure and checks <see cref="Error"/> once at the end; nothing
/// is allocated. With <see cref="ThrowOnError"/> true (the default, for desktop tools) the same error is thrown at
/// once as a <see cref="CborException"/> and not kept. Misuse of the API (bad arguments) always throws.
/// </para>
/// The reader allocates only at construction, except for <see cref="ReadTextString()"/> and
/// <see cref="ReadByteString()"/>, which return new objects. The reads live in partial files by major type.
/// </summary>
public sealed partial class CborReader
{
    /// <summary>The nesting depth a new reader allows.</summary>
    public const int DefaultMaxDepth = 16;

    // MethodImplOptions.AggressiveInlining (256) on .NET, where the JIT would otherwise keep the small direct paths
    // of the common reads out of line in the parsers' loops; nanoFramework's enum has no such member and its
    // interpreter inlines nothing, so the value is spelled as a number and means nothing there.
    private const MethodImplOptions Inline = (MethodImplOptions)256;

    private const byte KindTop = 0;
    private const byte KindArray = 1;
    private const byte KindMap = 2;
    private const byte KindByteChunks = 3;
    private const byte KindTextChunks = 4;
    private const byte KindIndefinite = 0x80;

    private byte[] _buffer;
    private int _end;
    private int _pos;
    private int _depth;
    // The innermost open container, in fields so that the common reads touch no array: its kind (KindTop at the
    // top level) and, for a definite container, the items still to read (a map counts keys and values; the top
    // level has no limit); for an indefinite one, the items read so far, so that a break after an odd number of
    // map items can be refused (RFC 8949 §3.2.2). The enclosing containers wait in _kinds and _counts.
    private byte _kind;
    private long _count;
    private byte[] _kinds;
    private long[] _counts;
    private bool _tagPending;

    // The kept error: its code, where, the end of the window when it happened (the window is closed at the error so
    // that every later read takes the checked path and finds nothing), and what the message is made of. The message
    // is only composed when asked for, so the sticky mode allocates nothing.
    private CborError _error;
    private int _errorOffset;
    private int _errorEnd;
    private string _errorText;
    private bool _errorExpected;
    private ulong _errorA;
    private ulong _errorB;

    /// <summary>Creates a reader over the whole of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">The encoded data.</param>
    public CborReader(byte[] buffer)
        : this(buffer, 0, buffer == null ? 0 : buffer.Length, DefaultMaxDepth)
    {
    }

    /// <summary>Creates a reader over <paramref name="count"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/>.</summary>
    /// <param name="buffer">The encoded data.</param>
    /// <param name="offset">The first byte to read.</param>
    /// <param name="count">How many bytes belong to the input.</param>
    public CborReader(byte[] buffer, int offset, int count)
        : this(buffer, offset, count, DefaultMaxDepth)
    {
    }

    /// <summary>Creates a reader with a nesting limit.</summary>
    /// <param name="buffer">The encoded data.</param>
    /// <param name="offset">The first byte to read.</param>
    /// <param name="count">How many bytes belong to the input.</param>
    /// <param name="maxDepth">How deep arrays, maps and indefinite-length strings may nest (at least 1).</param>
    public CborReader(byte[] buffer, int offset, int count, int maxDepth)
    {
        ThrowOnError = true;
        AllocateStack(maxDepth);
        Reset(buffer, offset, count);
    }

    /// <summary>
    /// True (the default): bad data throws a <see cref="CborException"/> at once. False: the sticky mode, where
    /// the first error is kept in <see cref="Error"/> and nothing is thrown for bad data.
    /// </summary>
    public bool ThrowOnError { get; set; }

    /// <summary>The first error found since the last <see cref="Reset(byte[], int, int)"/> in the sticky mode, or <see cref="CborError.None"/>.</summary>
    public CborError Error => _error;

    /// <summary>Where in the buffer <see cref="Error"/> was found, or -1 without an error.</summary>
    public int ErrorOffset => _error == CborError.None ? -1 : _errorOffset;

    /// <summary>
    /// Starts reading a new input with the same nesting limit and mode, reusing this reader's state arrays, so a
    /// long-running parser (the RS request path) allocates nothing per message. Forgets any kept error.
    /// </summary>
    /// <param name="buffer">The encoded data.</param>
    /// <param name="offset">The first byte to read.</param>
    /// <param name="count">How many bytes belong to the input.</param>
    public void Reset(byte[] buffer, int offset, int count)
    {
        if (buffer == null)
        {
            throw new ArgumentNullException(nameof(buffer));
        }

        if (offset < 0 || count < 0 || count > buffer.Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        _buffer = buffer;
        _end = offset + count;
        _pos = offset;
        _depth = 0;
        _kind = KindTop;
        _count = long.MaxValue;
        _tagPending = false;
        _error = CborError.None;
    }

    /// <summary>Starts reading <paramref name="input"/> (see <see cref="Reset(byte[], int, int)"/>).</summary>
    /// <param name="input">The encoded data.</param>
    public void Reset(ByteRange input)
    {
        Reset(input.Buffer, input.Offset, input.Count);
    }

    /// <summary>
    /// How deep arrays, maps and indefinite-length strings may nest; deeper input fails with
    /// <see cref="CborError.DepthLimitExceeded"/>. Can only be changed before reading into a container.
    /// </summary>
    public int MaxDepth
    {
        get => _kinds.Length;
        set
        {
            if (_depth != 0)
            {
                throw new InvalidOperationException("MaxDepth can only change at the top level.");
            }

            AllocateStack(value);
        }
    }

    /// <summary>The array being read.</summary>
    public byte[] Buffer => _buffer;

    /// <summary>The index in the buffer of the next byte to read.</summary>
    public int Position => _pos;

    /// <summary>How many bytes of the window have not been read yet (0 once an error is kept).</summary>
    public int BytesRemaining => _end - _pos;

    /// <summary>How many arrays, maps and indefinite-length strings are open.</summary>
    public int CurrentDepth => _depth;

    /// <summary>
    /// Checks that <paramref name="count"/> bytes at <paramref name="offset"/> are exactly one well-formed
    /// data item nested at most <see cref="DefaultMaxDepth"/> deep, with valid UTF-8 in its text strings.
    /// </summary>
    /// <param name="buffer">The encoded data.</param>
    /// <param name="offset">The first byte.</param>
    /// <param name="count">How many bytes.</param>
    public static void Validate(byte[] buffer, int offset, int count)
    {
        Validate(buffer, offset, count, DefaultMaxDepth);
    }

    /// <summary>Like <see cref="Validate(byte[], int, int)"/> with a chosen nesting limit.</summary>
    /// <param name="buffer">The encoded data.</param>
    /// <param name="offset">The first byte.</param>
    /// <param name="count">How many bytes.</param>
    /// <param name="maxDepth">The nesting limit.</param>
    public static void Validate(byte[] buffer, int offset, int count, int maxDepth)
    {
        CborReader reader = new CborReader(buffer, offset, count, maxDepth);
        reader.SkipToEnd();
    }

    /// <summary>
    /// Skips the next data item and requires that it is the last thing in the window (RFC 8949 §5.3.1: exactly one
    /// data item); trailing bytes fail with <see cref="CborError.TrailingBytes"/>.
    /// </summary>
    public void SkipToEnd()
    {
        SkipValue();
        if (_pos != _end)
        {
            Fail(CborError.TrailingBytes, _pos, "# trailing bytes after the data item", (ulong)(_end - _pos), 0);
        }
    }

    /// <summary>
    /// True when the enclosing array, map or indefinite-length string has another item to read; false at its end,
    /// at the end of the data and once an error is kept. The loop condition of the sticky mode.
    /// </summary>
    /// <returns>Whether an item follows.</returns>
    [MethodImpl(Inline)]
    public bool HasNext()
    {
        // A definite container (or the top level): items are left exactly while the count is not used up.
        if (_kind <= KindMap && _pos < _end && InitialByteStates[_buffer[_pos]] != 0)
        {
            return _count != 0;
        }

        CborReaderState s = PeekState();
        return s != CborReaderState.EndArray && s != CborReaderState.EndMap && s != CborReaderState.Finished
            && s != CborReaderState.EndIndefiniteLengthByteString && s != CborReaderState.EndIndefiniteLengthTextString;
    }

    /// <summary>Throws the kept error, if any, as a <see cref="CborException"/>: the throwing form of the sticky mode.</summary>
    public void ThrowIfError()
    {
        if (_error != CborError.None)
        {
            throw new CborException(_error, _errorOffset, Describe());
        }
    }

    // Every refusal of bad data comes here. `text` is a literal: with `expected` it names what was wanted
    // ("expected <text> but found ..."), else each '#' in it stands for a and then b.
    private void Fail(CborError error, int at, string text, ulong a, ulong b)
    {
        if (_error != CborError.None)
        {
            return;
        }

        _error = error;
        _errorOffset = at;
        _errorEnd = _end;
        _errorText = text;
        _errorExpected = false;
        _errorA = a;
        _errorB = b;
        Stop();
    }

    private void FailExpected(string what, int at)
    {
        if (_error != CborError.None)
        {
            return;
        }

        _error = CborError.UnexpectedDataType;
        _errorOffset = at;
        _errorEnd = _end;
        _errorText = what;
        _errorExpected = true;
        Stop();
    }

    // The throwing mode reports and forgets; the sticky mode closes the window so that every later read is neutral.
    private void Stop()
    {
        if (ThrowOnError)
        {
            CborException e = new CborException(_error, _errorOffset, Describe());
            _error = CborError.None;
            throw e;
        }

        _end = _pos;
    }

    private string Describe()
    {
        if (_errorExpected)
        {
            return "expected " + _errorText + " but found " + Found(_errorOffset, _errorEnd);
        }

        string s = _errorText;
        int hash = s.IndexOf('#');
        if (hash < 0)
        {
            return s;
        }

        string result = s.Substring(0, hash) + _errorA.ToString();
        s = s.Substring(hash + 1);
        hash = s.IndexOf('#');
        return hash < 0 ? result + s : result + s.Substring(0, hash) + _errorB.ToString() + s.Substring(hash + 1);
    }

    private string Found(int at, int end)
    {
        if (at >= end)
        {
            return "the end of the data";
        }

        if (_buffer[at] == 0xFF)
        {
            return "a \"break\"";
        }

        if (_depth > 0 && (_kind & KindIndefinite) == 0 && _count == 0)
        {
            return "the end of the enclosing " + (_kind == KindArray ? "array" : "map");
        }

        int ib = _buffer[at];
        return "major type " + (ib >> 5).ToString() + (ib >= 0xE0 ? " (" + (ib & 0x1F).ToString() + ")" : string.Empty);
    }

    // False (after reporting) unless the peeked state is the wanted one.
    private bool Expect(CborReaderState actual, CborReaderState wanted, string what, int at)
    {
        if (actual != wanted)
        {
            FailExpected(what, at);
            return false;
        }

        return true;
    }

    private void AllocateStack(int maxDepth)
    {
        if (maxDepth < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxDepth));
        }

        _kinds = new byte[maxDepth];
        _counts = new long[maxDepth];
    }
}
