using System.Reflection;
using System.Text.Json;

namespace PopIoT.Tests;

/// <summary>RFC 8392 Appendix A, from tests/vectors/rfc8392/rfc8392-appendixA.json.</summary>
internal static class Rfc8392Vectors
{
    private static readonly Lazy<JsonElement> Root = new(() =>
    {
        string dir = typeof(Rfc8392Vectors).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "VectorsDir").Value!;
        return JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "rfc8392", "rfc8392-appendixA.json"))).RootElement;
    });

    public static string Hex(string name) => Root.Value.GetProperty(name).GetString()!;

    public static string Claims => Hex("A.1_claims_set_hex");

    /// <summary>
    /// A.2.2's 256-bit key as {1: 4 (Symmetric), 2: 'Symmetric256', 3: 4 (HMAC 256/64), -1: k}.
    /// The published hex of A.2.2 says alg 10 although A.4 and A.7 use the key with HMAC 256/64
    /// (shared/vectors/README.md), so the tests pin it to the algorithm the tokens use.
    /// </summary>
    public static string HmacKey => "a40104024c53796d6d657472696332353603042058" + "20" + Hex("A.2.2_k_hex");
}
