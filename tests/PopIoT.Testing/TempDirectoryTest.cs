using Microsoft.Data.Sqlite;

namespace PopIoT.Testing;

/// <summary>A test class with its own temporary folder, deleted afterwards (SQLite's pooled handles closed first).</summary>
public abstract class TempDirectoryTest : IDisposable
{
    /// <summary>The folder.</summary>
    protected string Dir { get; } = Directory.CreateTempSubdirectory("popiot-test-").FullName;

    /// <summary>A path in the folder.</summary>
    protected string F(string name) => Path.Combine(Dir, name);

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Deletes the folder; a subclass that holds more releases it first and then calls this.</summary>
    protected virtual void Dispose(bool disposing)
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(Dir, recursive: true);
    }
}
