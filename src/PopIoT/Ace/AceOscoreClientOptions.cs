using PopIoT.Coap;
using PopIoT.Core.Crypto;

namespace PopIoT.Ace;

/// <summary>Settings of an <see cref="AceOscoreClient"/>.</summary>
public sealed class AceOscoreClientOptions
{
    /// <summary>The CoAP client's settings (timeout, block size for a large token, random source ...). Its Oscore must be null.</summary>
    public CoapClientOptions? Coap { get; init; }

    /// <summary>The path of the RS's authz-info endpoint (RFC 9200 §5.10.1).</summary>
    public string AuthzInfoPath { get; init; } = "/authz-info";

    /// <summary>The length of nonce1 (RFC 9203 §4.1 recommends 8 bytes).</summary>
    public int Nonce1Length { get; init; } = 8;

    /// <summary>The client's replay window in bits (for the responses and notifications it verifies).</summary>
    public int ReplayWindow { get; init; } = 32;

    /// <summary>Re-post the token and retry once when a protected request gets an unprotected 4.01 (context gone). True by default.</summary>
    public bool RepostOnUnauthorized { get; init; } = true;

    /// <summary>The crypto provider for the context; the platform provider when null.</summary>
    public ICryptoProvider? Crypto { get; init; }
}
