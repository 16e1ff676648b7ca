using System.Net;
using System.Net.Sockets;
using System.Text;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;
using PopIoT.Crypto;
using PopIoT.Oscore;

namespace PopIoT.Ace;

/// <summary>
/// Re-keys a client's OSCORE context with its AS after the client lost its Sender Sequence Number (RFC 8613
/// Appendix B.2): request #1 and response #1 here, over UDP, as one Confirmable exchange with the retransmissions of
/// RFC 7252 §4.2; request #2 is the client's next ordinary request to the AS under the returned context.
/// </summary>
public static class AsRekeying
{
    /// <summary>Runs steps 1–3 of Appendix B.2 with the AS of <paramref name="credential"/>.</summary>
    /// <param name="credential">The client's credential (Master Secret, Salt and IDs shared with the AS).</param>
    /// <param name="crypto">Crypto and randomness, or null for the platform's.</param>
    /// <param name="sequenceNumberStore">Where the new context keeps its Sender Sequence Number (it starts at 0).</param>
    /// <param name="timeout">How long to wait for response #1 in all.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    /// <returns>The context with ID Context R2 || R3, for request #2 and after (it sends its 'kid context'), and that ID Context.</returns>
    /// <exception cref="AceAuthorizationException">The AS refused request #1 or its response #1 did not verify; the message says why.</exception>
    /// <exception cref="CoapTimeoutException">No response #1 in time.</exception>
    public static async Task<(SecurityContext Context, byte[] IdContext)> RunAsync(AceCredentialFile credential, ICryptoProvider? crypto, ISequenceNumberStore? sequenceNumberStore, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(credential);
        crypto ??= PlatformCryptoProvider.Instance;
        using var run = new OscoreRekeyingClient(credential.Oscore, crypto);
        var request = new CoapMessage();
        request.Type = CoapMessageType.Confirmable;
        request.Code = CoapCode.Post;
        byte[] id = new byte[10];
        crypto.Random.GetBytes(id, 0, id.Length);
        request.MessageId = (id[0] << 8) | id[1];
        request.SetToken(id, 2, 8);
        request.AddUriPath("token");
        OscoreStatus s = run.ProtectRequest1(request);
        if (s != OscoreStatus.Ok)
        {
            throw new InvalidOperationException("cannot protect request #1: " + s);
        }

        byte[] datagram = new byte[request.GetSerializedLength()];
        request.Serialize(datagram, 0, datagram.Length);
        IPEndPoint at = await CoapUri.ResolveAsync(credential.AsUri, cancellationToken).ConfigureAwait(false);
        CoapMessage response = await ExchangeAsync(at, datagram, request, timeout, cancellationToken).ConfigureAwait(false);
        s = run.VerifyResponse1(response);
        if (s != OscoreStatus.Ok)
        {
            throw Refused(credential.AsUri, response, s);
        }

        SecurityContext third = run.CreateThirdContext(sequenceNumberStore, out byte[] idContext);
        return (third, idContext);
    }

    private static AceAuthorizationException Refused(Uri asUri, CoapMessage response, OscoreStatus s)
    {
        // RFC 8613 §8.2: the AS's refusals come unprotected with a diagnostic payload ("Security context not found", ...).
        string diagnostic = response.FindOption(CoapOptionNumber.Oscore) < 0 && response.PayloadLength > 0
            ? Encoding.UTF8.GetString(response.PayloadBuffer, response.PayloadOffset, response.PayloadLength)
            : "response #1 did not verify (" + s + ")";
        var r = new CoapResponse(response.Code, response.PayloadLength > 0 ? response.PayloadBuffer.AsMemory(response.PayloadOffset, response.PayloadLength).ToArray() : default);
        return new AceAuthorizationException(asUri, r, 0, "re-keying (RFC 8613 Appendix B.2) refused: " + CoapResponse.FormatCode(response.Code) + " " + diagnostic);
    }

    // One Confirmable exchange (RFC 7252 §4.2): retransmitted after 2 s, 4 s, 8 s ... until the timeout.
    private static async Task<CoapMessage> ExchangeAsync(IPEndPoint at, byte[] datagram, CoapMessage request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var udp = new UdpClient(at.AddressFamily);
        udp.Connect(at);
        using var overall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        overall.CancelAfter(timeout);
        byte[] token = new byte[8];
        request.GetToken(token, 0);
        TimeSpan wait = TimeSpan.FromSeconds(2);
        try
        {
            while (true)
            {
                await udp.SendAsync(datagram, overall.Token).ConfigureAwait(false);
                using var round = CancellationTokenSource.CreateLinkedTokenSource(overall.Token);
                round.CancelAfter(wait);
                try
                {
                    while (true)
                    {
                        UdpReceiveResult got = await udp.ReceiveAsync(round.Token).ConfigureAwait(false);
                        var m = new CoapMessage();
                        if (m.Parse(got.Buffer, 0, got.Buffer.Length) != CoapParseError.None || m.Code == 0 || !m.TokenEquals(token, 0, token.Length))
                        {
                            continue;
                        }

                        if (m.Type == CoapMessageType.Confirmable)
                        {
                            byte[] ack = [0x60, 0x00, (byte)(m.MessageId >> 8), (byte)m.MessageId];
                            await udp.SendAsync(ack, overall.Token).ConfigureAwait(false);
                        }

                        return m;
                    }
                }
                catch (OperationCanceledException) when (!overall.IsCancellationRequested)
                {
                    wait += wait;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CoapTimeoutException("no response #1 from the AS at " + at + " within " + timeout.TotalSeconds + " s (RFC 8613 Appendix B.2)", true);
        }
        catch (SocketException e)
        {
            throw new CoapException("the AS at " + at + ": " + e.Message, CoapExchangeFailure.Reset);
        }
    }
}
