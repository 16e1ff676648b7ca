namespace PopIoT.Ace;

/// <summary>One entry of an AIF scope (RFC 9237 §3): a resource path and the CoAP methods allowed on it.</summary>
/// <param name="Path">The URI local part, e.g. "/temp".</param>
/// <param name="Methods">The method bitmask: bit (method code − 1), so GET 1, POST 2, PUT 4, DELETE 8 (RFC 9237 §2.2).</param>
public sealed record AifEntry(string Path, uint Methods);
