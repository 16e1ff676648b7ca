namespace PopIoT.Core.Coap;

/// <summary>
/// The NON messages an endpoint sent recently, kept for NON_LIFETIME in a fixed ring so that a Reset can be matched
/// to one of them by Message ID (RFC 7252 §4.3; RFC 7641 §3.6: a Reset to a NON notification ends the observation).
/// </summary>
internal sealed class NonRecords
{
    private readonly int[] _peer;
    private readonly int[] _mid;
    private readonly byte[] _token;
    private readonly int[] _tokenLength;
    private readonly long[] _expires;
    private int _next;

    internal NonRecords(int capacity)
    {
        _peer = new int[capacity];
        _mid = new int[capacity];
        _token = new byte[capacity * CoapMessage.MaxTokenLength];
        _tokenLength = new int[capacity];
        _expires = new long[capacity];
    }

    internal byte[] Tokens => _token;

    internal int TokenLength(int record) => _tokenLength[record];

    internal void Record(int peer, CoapMessage message, long expires)
    {
        int i = _next;
        _next = (_next + 1) % _peer.Length;
        _peer[i] = peer;
        _mid[i] = message.MessageId;
        _tokenLength[i] = message.GetToken(_token, i * CoapMessage.MaxTokenLength);
        _expires[i] = expires;
    }

    /// <summary>Finds the live record of Message ID <paramref name="messageId"/> sent to <paramref name="peer"/> and retires it; -1 if none.</summary>
    internal int Take(int peer, int messageId, long now)
    {
        for (int i = 0; i < _peer.Length; i++)
        {
            if (_expires[i] > now && _peer[i] == peer && _mid[i] == messageId)
            {
                _expires[i] = 0;
                return i;
            }
        }

        return -1;
    }
}
