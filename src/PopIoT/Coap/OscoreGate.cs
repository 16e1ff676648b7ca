using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using PopIoT.Oscore;

namespace PopIoT.Coap;

/// <summary>
/// What a <see cref="CoapServer"/> with <see cref="CoapServerOptions.Oscore"/> runs around its <see cref="OscoreServer"/>,
/// under the server's lock: the owner's refresh of the context table before a request is verified (an AS sees clients
/// registered while it runs), and a report of each request OSCORE refused, so the owner can log the reason the client
/// was given (RFC 8613 §8.2), and the re-keying of RFC 8613 Appendix B.2 (request #1 answered here, request #2 verified
/// by the <see cref="OscoreServer"/> under a candidate context that is kept only if it verified).
/// </summary>
internal sealed class OscoreGate(OscoreServer oscore, CoapServer server, Action? refresh, Action<OscoreRefusal>? refused, (OscoreContextTable Table, OscoreRekeyingServer Server)? rekeying) : ICoapRequestHandler
{
    private readonly OscoreOption _option = new();

    public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
    {
        refresh?.Invoke();
        if (refused == null && rekeying == null)
        {
            return oscore.HandleRequest(peer, request, response);
        }

        // Read before verification, which decrypts the message in place.
        byte[] kid = [];
        long partialIv = -1;
        for (int i = 0; i < request.OptionCount; i++)
        {
            if (request.GetOptionNumber(i) == CoapOptionNumber.Oscore
                && _option.Decode(request.GetOptionBuffer(i), request.GetOptionOffset(i), request.GetOptionLength(i)))
            {
                byte[] value = request.GetOptionBuffer(i);
                if (_option.HasKid)
                {
                    kid = value.AsSpan(_option.KidOffset, _option.KidLength).ToArray();
                }

                if (_option.HasPartialIv)
                {
                    partialIv = 0;
                    for (int j = 0; j < _option.PartialIvLength; j++)
                    {
                        partialIv = (partialIv << 8) | value[_option.PartialIvOffset + j];
                    }
                }

                break;
            }
        }

        OscoreRekeyingCandidate? candidate = null;
        if (rekeying is (OscoreContextTable table, OscoreRekeyingServer b2))
        {
            if (b2.Inspect(table, request, response, out OscoreStatus status, out candidate))
            {
                if (status != OscoreStatus.Ok)
                {
                    refused?.Invoke(new OscoreRefusal(server.PeerAddress(peer), status, kid, partialIv));
                }

                return CoapHandlerResult.Respond;
            }
        }

        CoapHandlerResult r = oscore.HandleRequest(peer, request, response);
        if (candidate != null)
        {
            rekeying!.Value.Server.Settle(rekeying.Value.Table, candidate, oscore.LastStatus is OscoreStatus.Ok or OscoreStatus.UnrecognizedCriticalOption);
        }

        if (refused != null && oscore.LastStatus is OscoreStatus.SecurityContextNotFound or OscoreStatus.DecryptionFailed or OscoreStatus.ReplayDetected
            or OscoreStatus.BadOption or OscoreStatus.MessageTooLarge)
        {
            refused(new OscoreRefusal(server.PeerAddress(peer), oscore.LastStatus, kid, partialIv));
        }

        return r;
    }
}
