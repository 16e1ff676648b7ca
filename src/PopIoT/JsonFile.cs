using System.Text.Json;

namespace PopIoT;

/// <summary>
/// Reading the small JSON files PopIoT keeps (OSCORE context files, TOKEN.json): a bounded read, one JSON object,
/// known fields only, and hex byte strings, each failure a <see cref="FormatException"/> that names the file and field.
/// </summary>
internal static class JsonFile
{
    /// <summary>Reads a whole file of at most <paramref name="maxBytes"/> bytes.</summary>
    /// <param name="path">The file.</param>
    /// <param name="maxBytes">The largest size accepted.</param>
    /// <param name="what">What the file is, for messages ("token file").</param>
    /// <returns>The bytes.</returns>
    /// <exception cref="FormatException">Too large, or it cannot be read.</exception>
    public static byte[] ReadBounded(string path, int maxBytes, string what)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length > maxBytes)
            {
                throw new FormatException(what + " '" + path + "' is larger than " + maxBytes + " bytes");
            }

            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException("cannot read " + what + " '" + path + "': " + e.Message);
        }
    }

    /// <summary>Parses JSON that must be one object whose fields are all in <paramref name="known"/>.</summary>
    /// <param name="json">The UTF-8 JSON.</param>
    /// <param name="where">The message prefix naming the file.</param>
    /// <param name="maxDepth">The deepest nesting accepted.</param>
    /// <param name="known">The field names allowed at the top level.</param>
    /// <returns>The document (dispose it); its root is an object.</returns>
    /// <exception cref="FormatException">Not JSON, not an object, or an unknown field.</exception>
    public static JsonDocument ParseObject(ReadOnlySpan<byte> json, string where, int maxDepth, string[] known)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = maxDepth });
        }
        catch (JsonException e)
        {
            throw new FormatException(where + "not valid JSON (" + e.Message + ")");
        }

        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            doc.Dispose();
            throw new FormatException(where + "expected a JSON object");
        }

        try
        {
            CheckKnown(doc.RootElement, known, where);
        }
        catch
        {
            doc.Dispose();
            throw;
        }

        return doc;
    }

    /// <summary>Refuses a field of <paramref name="obj"/> that is not in <paramref name="known"/> (a typo must not pass silently).</summary>
    /// <param name="obj">The object.</param>
    /// <param name="known">The allowed names.</param>
    /// <param name="where">The message prefix.</param>
    /// <exception cref="FormatException">An unknown field.</exception>
    public static void CheckKnown(JsonElement obj, string[] known, string where)
    {
        foreach (JsonProperty p in obj.EnumerateObject())
        {
            if (Array.IndexOf(known, p.Name) < 0)
            {
                throw new FormatException(where + "unknown field \"" + p.Name + "\" (expected " + string.Join(", ", known) + ")");
            }
        }
    }

    /// <summary>A field holding a hex string.</summary>
    /// <param name="obj">The object.</param>
    /// <param name="field">The field name.</param>
    /// <param name="where">The message prefix.</param>
    /// <param name="required">Whether it must be present (and not null).</param>
    /// <param name="maxLength">The longest value in bytes.</param>
    /// <param name="missingHint">Said after "missing field": what to write.</param>
    /// <param name="lengthNote">Added to a too-long message, e.g. the RFC that sets the limit.</param>
    /// <returns>The bytes, or null when absent and not required.</returns>
    /// <exception cref="FormatException">Missing, not a string, not hex, or too long.</exception>
    public static byte[]? Hex(JsonElement obj, string field, string where, bool required, int maxLength = int.MaxValue, string missingHint = "a hex string", string lengthNote = "")
    {
        if (!obj.TryGetProperty(field, out JsonElement e) || e.ValueKind == JsonValueKind.Null)
        {
            return required ? throw new FormatException(where + "missing field \"" + field + "\" (" + missingHint + ")") : null;
        }

        if (e.ValueKind != JsonValueKind.String)
        {
            throw new FormatException(where + "\"" + field + "\" must be a hex string, not " + e.ValueKind.ToString().ToLowerInvariant());
        }

        string s = e.GetString()!;
        byte[] value;
        try
        {
            value = Convert.FromHexString(s);
        }
        catch (FormatException)
        {
            throw new FormatException(where + "\"" + field + "\" is not valid hex: \"" + (s.Length > 40 ? s[..40] + "..." : s) + "\" (an even number of 0-9a-f digits)");
        }

        if (value.Length > maxLength)
        {
            throw new FormatException(where + "\"" + field + "\" is " + value.Length + " bytes; at most " + maxLength + " allowed" + lengthNote);
        }

        return value;
    }
}
