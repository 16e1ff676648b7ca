using System;

namespace PopIoT.Core.Coap;

/// <summary>
/// The receiving half of the message layer (RFC 7252 §4): what a CON, NON, ACK or RST that parsed does to the
/// duplicate cache, the open exchanges and the handler or listener.
/// </summary>
public sealed partial class MessageLayer
{
    private void OnConfirmableOrNon(int peer, long now)
    {
        bool con = _rx.Type == CoapMessageType.Confirmable;
        if (_rx.Code == CoapCode.Empty || CoapCode.IsReservedClass(_rx.Code))
        {
            // RFC 7252 §4.3: an Empty CON is a ping and is answered with Reset; §4.2/§4.3 reserved codes are
            // format errors: Reset for CON, silence for NON.
            if (!con || CoapCode.IsReservedClass(_rx.Code))
            {
                RejectedDatagrams++;
            }

            if (con)
            {
                SendEmpty(peer, CoapMessageType.Reset, _rx.MessageId);
            }

            return;
        }

        // RFC 7252 §4.5: a duplicate CON gets the same reply again; a duplicate NON is ignored.
        int entry = _dedup.Find(peer, _rx.MessageId, now);
        if (entry >= 0 && _dedup.IsConfirmable(entry) != con)
        {
            // Same Message ID but another type: not a duplicate of that message (§4.5 duplicates are copies), so a
            // CON here still gets its ACK. The old entry makes room for this one.
            _dedup.Forget(entry);
            entry = -1;
        }

        if (entry >= 0)
        {
            DuplicatesDetected++;
            if (con && _dedup.ReplyLength(entry) > 0)
            {
                _outbox.Enqueue(peer, _dedup.Pool, _dedup.ReplyOffset(entry), _dedup.ReplyLength(entry));
            }

            return;
        }

        if (CoapCode.IsRequest(_rx.Code))
        {
            OnRequest(peer, con, now);
        }
        else
        {
            OnSeparateResponse(peer, con, now);
        }
    }

    private void OnRequest(int peer, bool con, long now)
    {
        // RFC 7252 §4.8.2: remember a CON for EXCHANGE_LIFETIME, a NON for NON_LIFETIME.
        int entry = _dedup.Allocate(peer, _rx.MessageId, con, now, con ? _settings.ExchangeLifetimeMs : _settings.NonLifetimeMs, _settings.EvictOldestWhenFull);
        PrepareResponse(con);
        if (entry < 0)
        {
            // Only when eviction was turned off: refuse rather than risk running a retransmitted request twice.
            // RFC 7252 §5.9.3.4: 5.03 with Max-Age = seconds until an entry frees up.
            CacheFullRefusals++;
            _tx.Code = CoapCode.ServiceUnavailable;
            long wait = (_dedup.RefusedUntil - now + 999) / 1000;
            int n = CoapOption.WriteUint((uint)(wait < 1 ? 1 : wait), _maxAge, 0);
            _tx.AddOption(CoapOptionNumber.MaxAge, _maxAge, 0, n);
            SerializeAndSend(peer, _scratch, con);
            return;
        }

        CoapHandlerResult result;
        // RFC 8613 §2: the OSCORE option is critical; it is left to the handler (an OSCORE layer), and with no handler
        // nothing here processes it.
        if (CoapOption.FindUnrecognizedCritical(_rx, _handler != null) >= 0)
        {
            // RFC 7252 §5.4.1: an unrecognized critical option in a request gets 4.02 Bad Option.
            _tx.Code = CoapCode.BadOption;
            result = CoapHandlerResult.Respond;
        }
        else if (_handler == null)
        {
            _tx.Code = CoapCode.NotFound;
            result = CoapHandlerResult.Respond;
        }
        else
        {
            try
            {
                result = _handler.HandleRequest(peer, _rx, _tx);
            }
            catch (Exception)
            {
                // DESIGN.md §2: no exception escapes a datagram handler; the client gets 5.00.
                PrepareResponse(con);
                _tx.Code = CoapCode.InternalServerError;
                result = CoapHandlerResult.Respond;
            }
        }

        // The reply is serialized into the scratch buffer (free again: the handler has returned) and a CON's is kept in
        // the cache's pool for its duplicates.
        if (result == CoapHandlerResult.Respond)
        {
            if (!CoapCode.IsResponse(_tx.Code))
            {
                PrepareResponse(con);
                _tx.Code = CoapCode.InternalServerError;
            }

            int n = SerializeAndSend(peer, _scratch, con);
            if (con)
            {
                _dedup.SetReply(entry, _scratch, 0, n);
            }
        }
        else if (con)
        {
            // RFC 7252 §5.2.2: a separate response starts with an Empty ACK, which is also what duplicates get.
            int n = WriteEmpty(_scratch, CoapMessageType.Acknowledgement, _rx.MessageId);
            _dedup.SetReply(entry, _scratch, 0, n);
            _outbox.Enqueue(peer, _scratch, 0, n);
        }
    }

    private void OnSeparateResponse(int peer, bool con, long now)
    {
        int slot = _ex.FindToken(peer, _rx, false);
        if (slot < 0)
        {
            // RFC 7252 §4.2 and Figure 21: an unexpected CON response is rejected with Reset; RFC 7252 §4.3 and
            // RFC 7641 §3.6 allow the same for a NON (it ends an observation the client no longer knows).
            SendEmpty(peer, CoapMessageType.Reset, _rx.MessageId);
            return;
        }

        if (CoapOption.FindUnrecognizedCritical(_rx) >= 0)
        {
            // RFC 7252 §5.4.1: a response with an unrecognized critical option is rejected: Reset for CON (§4.2),
            // and silence for NON (§4.3); the request it answered has failed.
            if (con)
            {
                SendEmpty(peer, CoapMessageType.Reset, _rx.MessageId);
            }

            RejectedDatagrams++;
            Fail(slot, CoapExchangeFailure.Rejected, now);
            return;
        }

        if (con)
        {
            int entry = _dedup.Allocate(peer, _rx.MessageId, true, now, _settings.ExchangeLifetimeMs, _settings.EvictOldestWhenFull);
            if (entry >= 0)
            {
                _dedup.SetReply(entry, _scratch, 0, WriteEmpty(_scratch, CoapMessageType.Acknowledgement, _rx.MessageId));
            }

            SendEmpty(peer, CoapMessageType.Acknowledgement, _rx.MessageId);
        }
        else
        {
            _dedup.Allocate(peer, _rx.MessageId, false, now, _settings.NonLifetimeMs, _settings.EvictOldestWhenFull);
        }

        Deliver(slot, peer, now);
    }

    private void OnAcknowledgement(int peer, long now)
    {
        int slot = _ex.FindByMessageId(peer, _rx.MessageId, true);
        if (slot < 0)
        {
            // RFC 7252 §4.2 / Figure 21: an ACK that matches nothing is silently ignored.
            return;
        }

        if (_rx.Code == CoapCode.Empty)
        {
            if (_ex.IsRequest[slot])
            {
                // RFC 7252 §5.2.2: the response will come separately; stop retransmitting and wait for it.
                _ex.State[slot] = ExchangeTable.AwaitResponse;
                _ex.Deadline[slot] = now + _settings.ResponseTimeoutMs;
            }
            else
            {
                _ex.State[slot] = ExchangeTable.Free;
                StartQueued(peer, now);
            }

            return;
        }

        // RFC 7252 §5.3.2: a piggybacked response must carry the request's token as well.
        if (!CoapCode.IsResponse(_rx.Code) || !_ex.IsRequest[slot] || !_ex.TokenMatches(slot, _rx))
        {
            RejectedDatagrams++;
            return;
        }

        if (CoapOption.FindUnrecognizedCritical(_rx) >= 0)
        {
            // RFC 7252 §5.4.1: a piggybacked response with an unrecognized critical option is rejected. Retransmitting
            // would only fetch the same response again, so the exchange ends here.
            RejectedDatagrams++;
            Fail(slot, CoapExchangeFailure.Rejected, now);
            return;
        }

        Deliver(slot, peer, now);
    }

    private void OnReset(int peer, long now)
    {
        if (_rx.Code != CoapCode.Empty)
        {
            RejectedDatagrams++;
            return;
        }

        int slot = _ex.FindByMessageId(peer, _rx.MessageId, false);
        if (slot >= 0)
        {
            Fail(slot, CoapExchangeFailure.Reset, now);
            return;
        }

        // RFC 7641 §3.6: a Reset to a NON notification ends the observation; tell the application.
        int record = _non.Take(peer, _rx.MessageId, now);
        if (record >= 0 && _listener != null)
        {
            _listener.OnFailed(-1, peer, _non.Tokens, record * CoapMessage.MaxTokenLength, _non.TokenLength(record), CoapExchangeFailure.Reset);
        }
    }

    private void Deliver(int slot, int peer, long now)
    {
        int handle = _ex.Handle(slot);
        // RFC 7641 §3.2: a successful response with Observe to a registering GET starts an observation; the
        // exchange then stays open for notifications but no longer counts against NSTART.
        bool observing = _ex.Observe[slot] && CoapCode.ClassOf(_rx.Code) == 2 && _rx.HasOption(CoapOptionNumber.Observe);
        _ex.State[slot] = observing ? ExchangeTable.Observing : ExchangeTable.Free;

        StartQueued(peer, now);
        if (_listener != null)
        {
            _listener.OnResponse(handle, peer, _rx);
        }
    }

    private void Fail(int slot, CoapExchangeFailure reason, long now)
    {
        int handle = _ex.Handle(slot);
        int peer = _ex.Peer[slot];
        _ex.State[slot] = ExchangeTable.Free;
        StartQueued(peer, now);
        if (_listener != null)
        {
            _listener.OnFailed(handle, peer, _ex.Tokens, slot * CoapMessage.MaxTokenLength, _ex.TokenLength(slot), reason);
        }
    }

    private void PrepareResponse(bool con)
    {
        _tx.Reset();
        _tx.CopyTokenFrom(_rx);
        _tx.Type = con ? CoapMessageType.Acknowledgement : CoapMessageType.NonConfirmable;
        _tx.MessageId = _rx.MessageId;
    }

    // Serializes _tx as the reply to _rx into buffer and queues it. RFC 7252 §5.2.1: a CON request is answered
    // in the ACK with the same Message ID; a NON request gets a NON with a new one (§5.2.3).
    private int SerializeAndSend(int peer, byte[] buffer, bool con)
    {
        _tx.Type = con ? CoapMessageType.Acknowledgement : CoapMessageType.NonConfirmable;
        _tx.MessageId = con ? _rx.MessageId : NextMessageId();
        int n = _tx.Serialize(buffer, 0, buffer.Length);
        if (n < 0)
        {
            // The handler's response does not fit MaxMessageSize: say so instead of sending a truncated message.
            _tx.ClearOptions();
            _tx.SetPayload(null, 0, 0);
            _tx.Code = CoapCode.InternalServerError;
            n = _tx.Serialize(buffer, 0, buffer.Length);
        }

        _outbox.Enqueue(peer, buffer, 0, n);
        return n;
    }
}
