using Microsoft.Data.Sqlite;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>A test class with its own temporary folder, deleted afterwards (SQLite's pooled handles closed first).</summary>
public abstract class TempDirectoryTest : IDisposable
{
    /// <summary>The folder.</summary>
    protected string Dir { get; } = Directory.CreateTempSubdirectory("popiot-as-test-").FullName;

    /// <summary>A path in the folder.</summary>
    protected string F(string name) => Path.Combine(Dir, name);

    /// <inheritdoc/>
    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(Dir, recursive: true);
        GC.SuppressFinalize(this);
    }
}
