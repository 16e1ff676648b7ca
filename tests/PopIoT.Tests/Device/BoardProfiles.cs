using PopIoT.Device;

namespace PopIoT.Tests.Device;

/// <summary>The repository's hardware/boards folder and its profiles, for tests.</summary>
internal static class BoardProfiles
{
    public static string Dir
    {
        get
        {
            for (DirectoryInfo? d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            {
                string p = Path.Combine(d.FullName, "hardware", "boards");
                if (Directory.Exists(p))
                {
                    return p;
                }
            }

            throw new DirectoryNotFoundException("hardware/boards not found above " + AppContext.BaseDirectory);
        }
    }

    public static IEnumerable<string> Names => Directory.GetFiles(Dir, "*.json").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!;

    public static BoardProfile Load(string name) => BoardProfile.Load(Path.Combine(Dir, name + ".json"));

    /// <summary>Whether the whole device runtime with the profile's settings fits the profile's heap share in nanoFramework's layout.</summary>
    public static bool Fits(BoardProfile p) => NanoHeapModel.MeasureRuntime(p.ToRuntimeSettings("coap://device", "coap://as.example/token")).TotalBytes <= p.PopIotHeapBytes;
}
