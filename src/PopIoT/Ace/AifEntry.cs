namespace PopIoT.Ace;

/// <summary>One entry of an AIF scope (RFC 9237 §3): a resource path and the REST methods allowed on it.</summary>
/// <param name="Path">The URI local part, e.g. "/temp".</param>
/// <param name="Methods">
/// The REST-method set: bit (method code − 1) for GET 1, POST 2, PUT 4, DELETE 8, FETCH 16, PATCH 32, iPATCH 64, and
/// the same bits shifted by the Dynamic-Offset 32 for Dynamic-GET .. Dynamic-iPATCH (RFC 9237 §3).
/// </param>
public sealed record AifEntry(string Path, ulong Methods);
