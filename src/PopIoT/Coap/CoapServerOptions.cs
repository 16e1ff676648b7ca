using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;

namespace PopIoT.Coap;

/// <summary>A handler of a <see cref="CoapServer"/> resource; it may complete later (RFC 7252 §5.2.2 separate response).</summary>
/// <param name="request">The request, body reassembled from Block1 blocks.</param>
/// <param name="cancellationToken">Signalled when the server stops.</param>
/// <returns>The response; a body above the block size is sent block-wise (RFC 7959 §2.4).</returns>
public delegate ValueTask<CoapResponse> CoapRequestHandler(CoapRequest request, CancellationToken cancellationToken);

/// <summary>Settings of a <see cref="CoapServer"/>.</summary>
public sealed class CoapServerOptions
{
    /// <summary>
    /// RFC 7252 parameters and table sizes. Null: RFC defaults with a 256-entry duplicate cache (at most 64 entries per peer) that evicts its oldest
    /// entry when full (see <see cref="CoapSettings.EvictOldestWhenFull"/>), 64 exchange slots for CON notifications and
    /// separate responses.
    /// </summary>
    public CoapSettings? Settings { get; set; }

    /// <summary>The most resources.</summary>
    public int MaxResources { get; set; } = 32;

    /// <summary>The largest request body accepted block-wise (RFC 7959 §2.9.3: larger gets 4.13).</summary>
    public int MaxBodySize { get; set; } = 64 * 1024;

    /// <summary>Block1 transfers in progress at once.</summary>
    public int Block1Slots { get; set; } = 8;

    /// <summary>Observations at once (RFC 7641).</summary>
    public int MaxObservers { get; set; } = 64;

    /// <summary>The largest block size exponent sent: 6 = 1024 bytes (RFC 7959 §2.2).</summary>
    public int MaxSzx { get; set; } = BlockOption.MaxSzx;

    /// <summary>
    /// Every how many notifications one goes out CON (RFC 7641 §4.5 wants one at least every 24 hours); 1 makes them all
    /// CON. Others go NON. Default 5.
    /// </summary>
    public int ConfirmableNotificationEvery { get; set; } = 5;

    /// <summary>The source of Message IDs and jitter; the platform CSPRNG when null.</summary>
    public IRandomSource? Random { get; set; }

    /// <summary>
    /// The OSCORE security contexts (RFC 8613), or null for plain CoAP. When set, every request goes through
    /// <see cref="OscoreServer"/> after deduplication: verified requests reach the handlers decrypted and their responses
    /// are protected; replays get 4.01 and never reach a handler; a context whose replay window is unknown challenges
    /// with Echo (Appendix B.1.2). Observe works on protected requests: each notification is protected with its own
    /// Partial IV, bound to the registering request (RFC 8613 §4.1.3.5).
    /// </summary>
    public OscoreContextTable? Oscore { get; set; }

    /// <summary>
    /// With <see cref="Oscore"/>: called under the server's lock before each request is verified, so the owner can
    /// bring the table up to date (the AS adds and drops the contexts of clients registered or removed while it runs).
    /// </summary>
    public Action? OscoreRefresh { get; set; }

    /// <summary>
    /// With <see cref="Oscore"/>: protect every response, separate ones included, with a fresh Partial IV of the
    /// server's (RFC 8613 §8.3), never with the request's nonce (<see cref="OscoreServer.FreshPartialIvInResponses"/>).
    /// </summary>
    public bool OscoreFreshPartialIv { get; set; }

    /// <summary>With <see cref="Oscore"/>: called under the server's lock for each request OSCORE refused (for the log).</summary>
    public Action<OscoreRefusal>? OscoreRefused { get; set; }

    /// <summary>
    /// With <see cref="Oscore"/>: answers clients that re-key with the server (RFC 8613 Appendix B.2) before the table
    /// is searched, or null when the server does not run that protocol (then a request with an unknown 'kid context'
    /// gets 4.01, §8.2 step 2).
    /// </summary>
    public PopIoT.Oscore.OscoreRekeyingServer? OscoreRekeying { get; set; }

    /// <summary>With <see cref="Oscore"/>: whether requests without OSCORE still reach the handlers (else 4.01). False by default.</summary>
    public bool AllowUnprotected { get; set; }

    /// <summary>
    /// With <see cref="Oscore"/>: MAX_UNFRAGMENTED_SIZE (RFC 8613 §4.1.3.4.2), the largest OSCORE message payload
    /// reassembled from Outer Block1 blocks before verification (larger gets 4.13 and never reaches OSCORE) and the largest
    /// protected response kept for Outer Block2; also sizes the OSCORE buffers. 4096 by default; at most
    /// <see cref="Block1Slots"/> Outer transfers at once.
    /// </summary>
    public int OscoreMaxUnfragmentedSize { get; set; } = 4096;
}
