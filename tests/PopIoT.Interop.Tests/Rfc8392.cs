namespace PopIoT.Interop.Tests;

/// <summary>RFC 8392 Appendix A values (shared/vectors/rfc8392/rfc8392-appendixA.json).</summary>
internal static class Rfc8392
{
    public const string ClaimsHex = "a70175636f61703a2f2f61732e6578616d706c652e636f6d02656572696b77037818636f61703a2f2f6c696768742e6578616d706c652e636f6d041a5612aeb0051a5610d9f0061a5610d9f007420b71";

    public const string A4Hex = "d83dd18443a10104a1044c53796d6d65747269633235365850" + ClaimsHex + "48093101ef6d789200";
}
