using Microsoft.Extensions.Logging;
using PopIoT.Core;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;

namespace PopIoT.Coap;

/// <summary>The notification part of the server (RFC 7641 §4.2): each observation is protected under the binding the
/// <see cref="ObserveRegistry"/> keeps with it (RFC 8613 §4.1.3.5), and checked against its token (RFC 9200 §5.10.2–§5.10.3).</summary>
public sealed partial class CoapServer
{
    /// <summary>
    /// Sends a notification to every observer of <paramref name="path"/> (RFC 7641 §4.2): the GET handler runs once per
    /// observer and its response goes out NON, or CON every <see cref="CoapServerOptions.ConfirmableNotificationEvery"/>.
    /// An error response ends the observation (RFC 7641 §4.2). Under a layer that authorises with tokens, the layer's
    /// clock is advanced first and an observation its token no longer authorises ends with a final error instead.
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
            if (_guard != null)
            {
                // RFC 9200 §5.10.3: the token's lifetime and rights are checked at the time of each notification.
                endpoint.RunHousekeepingLocked();
                endpoint.FlushLocked();
            }

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

            if (_guard != null)
            {
                // The handler may have taken a while: check the token again at the time the notification goes out.
                endpoint.RunHousekeepingLocked();
                endpoint.FlushLocked();
                if (!_observers.IsActive(slot) || _observers.GetPeer(slot) != peer)
                {
                    return;
                }
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
            if (security.IsProtected && _oscoreProcessor!.ProtectResponse(m, security.Exchange, true) != OscoreStatus.Ok)
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

    // The layer's clock and the token checks of every OSCORE observation (RFC 9200 §5.10.2–§5.10.3), under the gate:
    // read the clock, end the observations the tokens no longer authorise at that time (while an expired token's keys
    // still exist to protect its final 4.01), then let the layer drop what expired.
    private void Housekeep(CoapEndpoint endpoint)
    {
        long now = _guard!.ReadClock();
        for (int i = 0; i < _observers.Capacity; i++)
        {
            RequestSecurity security = _observers.GetSecurity(i);
            if (_observers.IsActive(i) && security.IsProtected)
            {
                int code = _guard.CheckNotification(security.Exchange, _entries[_observers.GetResource(i)].Resource!.Path, now);
                if (code != 0)
                {
                    EndObservation(endpoint, i, code);
                }
            }
        }

        _guard.Advance(now);
    }

    // RFC 9200 §5.10.3 (4.01) and §5.10.2 (4.03, 4.05): the final response of an observation its token no longer
    // authorises, without Observe so it is the last one (RFC 7641 §4.2, §3.2), confirmable so a lost one is sent
    // again, and protected under the registration's binding with its own Partial IV (RFC 8613 §4.1.3.5.2: the
    // request's nonce was used by the registration's response). code -1: the keys are gone, so the observation is
    // forgotten with no message, since an unprotected response to an OSCORE request is never sent (RFC 8613 §8.3).
    private void EndObservation(CoapEndpoint endpoint, int slot, int code)
    {
        int peer = _observers.GetPeer(slot);
        if (code < 0)
        {
            _observers.RemoveAt(slot);
            _logger.LogDebug("observation by {Peer} forgotten: its OSCORE context is gone", endpoint.PeerAddress(peer));
            return;
        }

        var m = new CoapMessage();
        _observers.PrepareNotification(slot, m, CoapMessageType.Confirmable);
        _observers.RemoveAt(slot);
        m.RemoveOption(CoapOptionNumber.Observe);
        m.Code = (byte)code;
        if (_oscoreProcessor!.ProtectResponse(m, _observers.GetSecurity(slot).Exchange, true) != OscoreStatus.Ok)
        {
            _logger.LogDebug("final response to {Peer} cannot be protected; observation removed", endpoint.PeerAddress(peer));
            return;
        }

        CoapSendStatus status = endpoint.Layer.Send(peer, m, endpoint.Now, out _);
        _logger.LogDebug("observation by {Peer} ended with {Code}: {Status}", endpoint.PeerAddress(peer), CoapResponse.FormatCode((byte)code), status);
    }
}
