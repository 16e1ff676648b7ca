using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;

namespace PopIoT.Core.Device;

/// <summary>
/// The runtime's notifications (RFC 7641 §4.2): each observation is protected under the binding the
/// <see cref="ObserveRegistry"/> keeps with it (RFC 8613 §4.1.3.5) and checked against its token at the time it goes out
/// (RFC 9200 §5.10.2–§5.10.3); an observation its token no longer authorises ends with a final error response.
/// </summary>
public sealed partial class DeviceRuntime
{
    private long _notifications;
    private int _shownCenti;
    private bool _shownKnown;

    /// <summary>
    /// Sends a notification to every observer of <paramref name="path"/> now (RFC 7641 §4.2), NON, or CON every
    /// <see cref="DeviceRuntimeSettings.ConfirmableNotificationEvery"/>. The engine's time is brought up to date first,
    /// so an observation whose token expired ends with 4.01 instead (RFC 9200 §5.10.3). The clock tick calls this for
    /// /temp by itself when the reading changes.
    /// </summary>
    /// <param name="path">The resource path, e.g. "/temp".</param>
    /// <returns>How many notifications were sent.</returns>
    public int NotifyObservers(string path)
    {
        int resource = DeviceResources.IndexOf(path);
        if (!IsRunning || resource < 0)
        {
            return 0;
        }

        long now = _host.Clock.MonotonicMilliseconds;
        AdvanceEngine(now);
        int sent = NotifyResource(resource, now);
        Flush();
        return sent;
    }

    // The clock tick's observe timer: a new temperature reading goes to /temp's observers.
    private void NotifyOnChange(long now)
    {
        int centi;
        if (!_shownKnown)
        {
            _shownKnown = _host.Peripherals.ReadTemperature(out _shownCenti);
            return;
        }

        if (_resources.TemperatureChanged(_shownCenti, out centi))
        {
            NotifyResource(DeviceResources.Temperature, now);
        }
    }

    private int NotifyResource(int resource, long now)
    {
        if (resource == DeviceResources.Temperature)
        {
            _shownKnown = _host.Peripherals.ReadTemperature(out _shownCenti);
        }

        int sent = 0;
        for (int i = 0; i < _observers.Capacity; i++)
        {
            if (_observers.IsActive(i) && _observers.GetResource(i) == resource && SendNotification(i, resource, now))
            {
                sent++;
            }

            // Out at once: the outbox is sized for a turn of the loop, not for every observer at the same time.
            Flush();
        }

        return sent;
    }

    private bool SendNotification(int slot, int resource, long now)
    {
        RequestSecurity security = _observers.GetSecurity(slot);
        if (security.IsProtected)
        {
            AceNotificationCheck check = Check(security, DeviceResources.PathOf(resource), _engine.Now);
            if (check != AceNotificationCheck.Allowed)
            {
                EndObservation(slot, check, now);
                return false;
            }
        }

        int peer = _observers.GetPeer(slot);
        _notifications++;
        _observers.PrepareNotification(slot, _note, _notifications % _settings.ConfirmableNotificationEvery == 0 ? CoapMessageType.Confirmable : CoapMessageType.NonConfirmable);
        _resources.Represent(resource, _note);
        if (CoapCode.ClassOf(_note.Code) != 2)
        {
            // RFC 7641 §4.2: a non-2.xx notification ends the observation (its binding stays readable until reused).
            _note.RemoveOption(CoapOptionNumber.Observe);
            _observers.RemoveAt(slot);
        }

        // An OSCORE observation's notification is protected here; a DTLS one by its session when it is sent (Flush).
        if (security.Protection == RequestProtection.Oscore && _engine.ProtectNotification(_note, security.Exchange) != OscoreStatus.Ok)
        {
            // The context is gone or exhausted: nothing protected can be sent, and nothing unprotected may be
            // (RFC 8613 §8.3), so the observation ends here (RFC 7641 §3.6 lets the server forget an observer).
            _observers.RemoveAt(slot);
            return false;
        }

        int exchange;
        return _layer.Send(peer, _note, now, out exchange) == CoapSendStatus.Sent;
    }

    // The engine's time is about to become `seconds`: observations whose tokens no longer authorise them end now, while
    // an expired token's keys still exist to protect the final response.
    private void EndUnauthorisedObservations(long seconds, long now, bool flush)
    {
        for (int i = 0; i < _observers.Capacity; i++)
        {
            if (!_observers.IsActive(i))
            {
                continue;
            }

            RequestSecurity security = _observers.GetSecurity(i);
            if (security.IsProtected)
            {
                AceNotificationCheck check = Check(security, DeviceResources.PathOf(_observers.GetResource(i)), seconds);
                if (check != AceNotificationCheck.Allowed)
                {
                    EndObservation(i, check, now);
                    if (flush)
                    {
                        Flush();
                    }
                }
            }
        }
    }

    // RFC 9200 §5.10.3 (4.01) and §5.10.2 (4.03, 4.05): the final response of an observation its token no longer
    // authorises, without Observe so it is the last one (RFC 7641 §4.2, §3.2), confirmable so a lost one is sent again,
    // protected under the registration's binding with its own Partial IV (RFC 8613 §4.1.3.5.2). When the keys are gone
    // the observation is forgotten with no message: an unprotected response to an OSCORE request is never sent (§8.3).
    private void EndObservation(int slot, AceNotificationCheck check, long now)
    {
        if (check == AceNotificationCheck.ContextGone)
        {
            _observers.RemoveAt(slot);
            return;
        }

        int peer = _observers.GetPeer(slot);
        RequestSecurity security = _observers.GetSecurity(slot);
        _observers.PrepareNotification(slot, _note, CoapMessageType.Confirmable);
        _observers.RemoveAt(slot);
        _note.RemoveOption(CoapOptionNumber.Observe);
        _note.Code = check == AceNotificationCheck.Expired ? CoapCode.Unauthorized
            : (check == AceNotificationCheck.MethodNotAllowed ? CoapCode.MethodNotAllowed : CoapCode.Forbidden);
        if (security.Protection == RequestProtection.Dtls || _engine.ProtectNotification(_note, security.Exchange) == OscoreStatus.Ok)
        {
            int exchange;
            _layer.Send(peer, _note, now, out exchange);
        }
    }

    // RFC 9200 §5.10.2–§5.10.3 for an observation, by the protection it was registered under: the OSCORE exchange's
    // context, or the token bound to the DTLS session (RFC 9202 §3.4).
    private AceNotificationCheck Check(RequestSecurity security, string path, long now)
    {
        return security.Protection == RequestProtection.Dtls
            ? _engine.CheckDtlsNotification(security.Session, path, now)
            : _engine.CheckNotification(security.Exchange, path, now);
    }
}
