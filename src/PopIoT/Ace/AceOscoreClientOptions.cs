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

    /// <summary>
    /// The longest Max-Age the client waits out by itself when /authz-info answers 5.03 or 4.29 (a full token table or a
    /// rate limit, RFC 9200 §5.10.1.2) before posting the token again. A longer Max-Age, or a refusal after
    /// <see cref="AuthzInfoRetries"/> waits, surfaces as <see cref="AceTokenRejectedException"/> with
    /// <see cref="AceTokenRejectedException.RetryAfter"/>. Zero never waits. 60 s by default.
    /// </summary>
    public TimeSpan MaxRetryWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How many times one post waits out a 5.03 or 4.29 and tries again. 2 by default.</summary>
    public int AuthzInfoRetries { get; init; } = 2;

    /// <summary>The time source those waits run on; <see cref="TimeProvider.System"/> when null.</summary>
    public TimeProvider? Time { get; init; }

    /// <summary>The crypto provider for the context; the platform provider when null.</summary>
    public ICryptoProvider? Crypto { get; init; }
}
