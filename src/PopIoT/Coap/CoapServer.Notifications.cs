using Microsoft.Extensions.Logging;
using PopIoT.Core;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;

namespace PopIoT.Coap;

/// <summary>The notification part of the server (RFC 7641 §4.2): each observation is protected under the binding the
/// <see cref="ObserveRegistry"/> keeps with it (RFC 8613 §4.1.3.5). Token checks per notification are the device's
/// (DeviceRuntime, RFC 9200 §5.10.2–§5.10.3).</summary>
public sealed partial class CoapServer
{
    /// <summary>
    /// Sends a notification to every observer of <paramref name="path"/> (RFC 7641 §4.2): the GET handler runs once per
    /// observer and its response goes out NON, or CON every <see cref="CoapServerOptions.ConfirmableNotificationEvery"/>.
    /// An error response ends the observation (RFC 7641 §4.2).
    /// </summary>
    /// <param name="path">The resource path as mapped.</param>
    /// <returns>How many notifications were started.</returns>
    public int NotifyObservers(string path)
    {
        CoapEndpoint endpoint = _endpoint ?? throw new InvalidOperationException("Not started.");
        Entry? entry = _entries.Find(e => e.Resource!.Path == (path.StartsWith('/') ? path : "/" + path));
        if (entry == null)
        {
            return 0;
        }

        var targets = new List<(int Slot, int Peer)>();
        lock (endpoint.Gate)
        {
            for (int i = 0; i < _observers.Capacity; i++)
            {
                if (_observers.IsActive(i) && _observers.GetResource(i) == entry.Index)
                {
                    targets.Add((i, _observers.GetPeer(i)));
                }
            }
        }

        foreach ((int slot, int peer) in targets)
        {
            var request = new CoapRequest(CoapCode.Get, entry.Resource!.Path, [], endpoint.PeerAddress(peer)!);
            ValueTask<CoapResponse> pending = Invoke(entry, request);
            if (pending.IsCompleted)
            {
                SendNotification(endpoint, slot, peer, Result(pending));
            }
            else
            {
                _ = NotifyLaterAsync(endpoint, slot, peer, pending);
            }
        }

        return targets.Count;
    }

    private async Task NotifyLaterAsync(CoapEndpoint endpoint, int slot, int peer, ValueTask<CoapResponse> pending)
    {
        CoapResponse r;
        try
        {
            r = await pending.ConfigureAwait(false);
        }
        catch (Exception)
        {
            r = new CoapResponse(CoapCode.InternalServerError);
        }

        SendNotification(endpoint, slot, peer, r);
    }

    private void SendNotification(CoapEndpoint endpoint, int slot, int peer, CoapResponse r)
    {
        lock (endpoint.Gate)
        {
            if (!_observers.IsActive(slot) || _observers.GetPeer(slot) != peer)
            {
                return;
            }

            long n = ++_notifications;
            int every = Math.Max(1, _options.ConfirmableNotificationEvery);
            var m = new CoapMessage();
            _observers.PrepareNotification(slot, m, n % every == 0 ? CoapMessageType.Confirmable : CoapMessageType.NonConfirmable);
            _shadow.Reset();
            _shadow.Code = CoapCode.Get;
            Fill(null, peer, _shadow, m, r, out byte[]? _);
            RequestSecurity security = _observers.GetSecurity(slot);
            if (!r.IsSuccess)
            {
                // RFC 7641 §4.2: a non-2.xx notification ends the observation (its binding stays readable until reused).
                m.RemoveOption(CoapOptionNumber.Observe);
                _observers.RemoveAt(slot);
            }

            // RFC 8613 §4.1.3.5.2: a notification under OSCORE takes its own Partial IV, bound to the registration.
            if (security.Protection == RequestProtection.Oscore && _oscoreProcessor!.ProtectResponse(m, security.Exchange, true) != OscoreStatus.Ok)
            {
                // The context is gone (evicted, expired) or exhausted: nothing protected can be sent, so the
                // observation ends here (RFC 7641 §3.6 lets the server forget an observer).
                _logger.LogDebug("OSCORE notification to {Peer} cannot be protected; observation removed", endpoint.PeerAddress(peer));
                _observers.RemoveAt(slot);
                return;
            }

            CoapSendStatus status = endpoint.Layer.Send(peer, m, endpoint.Now, out _);
            if (status != CoapSendStatus.Sent)
            {
                _logger.LogDebug("notification to {Peer} not sent: {Status}", endpoint.PeerAddress(peer), status);
            }

            endpoint.FlushLocked();
        }
    }

    private void OnNotificationFailed(int peer, byte[] token, CoapExchangeFailure reason)
    {
        // RFC 7641 §3.6, §4.5: a Reset or an unacknowledged CON notification removes the observer. Under the gate already.
        if (_observers.Remove(peer, token, 0, token.Length))
        {
            _logger.LogDebug("observer removed after {Reason}", reason);
        }
    }
}
