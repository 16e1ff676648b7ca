using System;

namespace PopIoT.Core.Coap;

/// <summary>
/// The server's list of observers (RFC 7641 §4.1): a fixed table of (peer, token, resource) with one 24-bit sequence
/// counter for all notifications (RFC 7641 §4.4: strictly increasing per server is enough). The application sends
/// notifications with <see cref="PrepareNotification"/> and <see cref="MessageLayer.Send"/>, and removes an observer
/// when the layer reports a Reset or a timed-out CON notification (RFC 7641 §3.6, §4.5) via <see cref="Remove"/>.
/// Each observation keeps a copy of its registering request's <see cref="RequestSecurity"/>, so its notifications are
/// protected under that binding (RFC 8613 §4.1.3.5) with no second table kept in step.
/// </summary>
public sealed class ObserveRegistry
{
    private readonly bool[] _used;
    private readonly int[] _peer;
    private readonly int[] _resource;
    private readonly byte[] _token;
    private readonly int[] _tokenLength;
    private readonly RequestSecurity[] _security;
    private uint _sequence;

    /// <summary>Creates the table.</summary>
    /// <param name="capacity">The most observations at once.</param>
    public ObserveRegistry(int capacity)
    {
        if (capacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity));
        }

        _used = new bool[capacity];
        _peer = new int[capacity];
        _resource = new int[capacity];
        _token = new byte[capacity * CoapMessage.MaxTokenLength];
        _tokenLength = new int[capacity];
        _security = new RequestSecurity[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _security[i] = new RequestSecurity();
        }
    }

    /// <summary>The table size; indexes run 0..Capacity-1.</summary>
    public int Capacity => _used.Length;

    /// <summary>How many observations are registered.</summary>
    public int Count
    {
        get
        {
            int n = 0;
            for (int i = 0; i < _used.Length; i++)
            {
                if (_used[i])
                {
                    n++;
                }
            }

            return n;
        }
    }

    /// <summary>Whether slot <paramref name="index"/> holds an observation.</summary>
    /// <param name="index">The slot.</param>
    /// <returns>True if in use.</returns>
    public bool IsActive(int index) => _used[index];

    /// <summary>The observer's peer.</summary>
    /// <param name="index">The slot.</param>
    /// <returns>The peer.</returns>
    public int GetPeer(int index) => _peer[index];

    /// <summary>The observed resource (the application's number for it).</summary>
    /// <param name="index">The slot.</param>
    /// <returns>The resource id.</returns>
    public int GetResource(int index) => _resource[index];

    /// <summary>The security binding the observation was registered under (unprotected when it came in the clear).</summary>
    /// <param name="index">The slot.</param>
    /// <returns>The binding (owned by the registry; valid until the slot is reused).</returns>
    public RequestSecurity GetSecurity(int index) => _security[index];

    /// <summary>Removes the observation in slot <paramref name="index"/>.</summary>
    /// <param name="index">The slot.</param>
    public void RemoveAt(int index) => _used[index] = false;

    /// <summary>
    /// Applies the Observe option of a GET or FETCH (RFC 7641 §2): 0 registers (or refreshes) the client and adds the
    /// next sequence number to <paramref name="response"/>; 1 deregisters it (RFC 7641 §3.6). The caller fills in the
    /// rest of the response as for a plain GET. Call it only for successful responses (RFC 7641 §4.1: errors end it).
    /// </summary>
    /// <param name="peer">The client.</param>
    /// <param name="resource">The application's id of the resource.</param>
    /// <param name="request">The request.</param>
    /// <param name="response">The response being prepared.</param>
    /// <returns>What happened.</returns>
    public ObserveAction HandleRequest(int peer, int resource, CoapMessage request, CoapMessage response)
    {
        uint value;
        if ((request.Code != CoapCode.Get && request.Code != CoapCode.Fetch) || !request.TryGetUint(CoapOptionNumber.Observe, out value))
        {
            return ObserveAction.None;
        }

        int slot = Find(peer, request);
        if (value == 1)
        {
            if (slot >= 0)
            {
                _used[slot] = false;
            }

            return ObserveAction.Deregistered;
        }

        if (value != 0)
        {
            return ObserveAction.None;
        }

        if (slot < 0)
        {
            slot = FreeSlot();
            if (slot < 0)
            {
                return ObserveAction.TableFull;
            }
        }

        // RFC 7641 §4.1: a request with the same token from the same client replaces the existing entry.
        _used[slot] = true;
        _peer[slot] = peer;
        _resource[slot] = resource;
        _tokenLength[slot] = request.GetToken(_token, slot * CoapMessage.MaxTokenLength);
        _security[slot].CopyFrom(request.Security);
        response.SetUintOption(CoapOptionNumber.Observe, NextSequence());
        return ObserveAction.Registered;
    }

    /// <summary>
    /// Clears <paramref name="message"/> and fills in a notification for observation <paramref name="index"/>: type,
    /// the observer's token and the next Observe number (RFC 7641 §4.2). The caller adds code, options and payload, then
    /// calls <see cref="MessageLayer.Send"/> with <see cref="GetPeer"/>.
    /// </summary>
    /// <param name="index">The observation.</param>
    /// <param name="message">The message to fill.</param>
    /// <param name="type">CON or NON (RFC 7641 §4.5).</param>
    public void PrepareNotification(int index, CoapMessage message, CoapMessageType type)
    {
        if (!_used[index])
        {
            throw new InvalidOperationException("No observation in this slot.");
        }

        message.Reset();
        message.Type = type;
        message.SetToken(_token, index * CoapMessage.MaxTokenLength, _tokenLength[index]);
        message.AddUintOption(CoapOptionNumber.Observe, NextSequence());
    }

    /// <summary>Removes the observation with this peer and token (after a Reset or a failed CON notification).</summary>
    /// <param name="peer">The observer.</param>
    /// <param name="token">The buffer holding the token.</param>
    /// <param name="offset">Where the token starts.</param>
    /// <param name="length">The token length.</param>
    /// <returns>Whether one was removed.</returns>
    public bool Remove(int peer, byte[] token, int offset, int length)
    {
        for (int i = 0; i < _used.Length; i++)
        {
            if (_used[i] && _peer[i] == peer && TokenEquals(i, token, offset, length))
            {
                _used[i] = false;
                return true;
            }
        }

        return false;
    }

    // RFC 7641 §4.4: a 24-bit number that increases with every notification.
    private uint NextSequence()
    {
        _sequence = (_sequence + 1) & 0xFFFFFF;
        return _sequence;
    }

    private int FreeSlot()
    {
        for (int i = 0; i < _used.Length; i++)
        {
            if (!_used[i])
            {
                return i;
            }
        }

        return -1;
    }

    private int Find(int peer, CoapMessage request)
    {
        for (int i = 0; i < _used.Length; i++)
        {
            if (_used[i] && _peer[i] == peer && request.TokenEquals(_token, i * CoapMessage.MaxTokenLength, _tokenLength[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private bool TokenEquals(int slot, byte[] token, int offset, int length)
    {
        if (_tokenLength[slot] != length)
        {
            return false;
        }

        int at = slot * CoapMessage.MaxTokenLength;
        for (int k = 0; k < length; k++)
        {
            if (_token[at + k] != token[offset + k])
            {
                return false;
            }
        }

        return true;
    }
}
