using PopIoT.Coap;

namespace PopIoT.Ace;

/// <summary>
/// What <see cref="AceClient"/> needs of a client bound to one resource server under one token, whatever the profile:
/// <see cref="AceOscoreClient"/> (RFC 9203) or <see cref="AceDtlsClient"/> (RFC 9202).
/// </summary>
internal interface IAceSessionClient : IDisposable
{
    /// <summary>Sends a request under the profile's protection.</summary>
    Task<CoapResponse> SendAsync(CoapRequest request, CancellationToken cancellationToken = default);

    /// <summary>Observes a resource under the profile's protection.</summary>
    IAsyncEnumerable<CoapResponse> ObserveAsync(Uri uri, CancellationToken cancellationToken = default);
}
