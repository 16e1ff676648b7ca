namespace PopIoT.Core.Coap;

/// <summary>What <see cref="MessageLayer.SendRequest"/> and <see cref="MessageLayer.Send"/> did.</summary>
public enum CoapSendStatus
{
    /// <summary>The message is in the outbox.</summary>
    Sent = 0,

    /// <summary>NSTART outstanding interactions with the peer exist; the request waits and goes out when one ends (RFC 7252 §4.7).</summary>
    Queued,

    /// <summary>Every exchange slot is in use; nothing was sent.</summary>
    NoExchangeSlot,

    /// <summary>The message is larger than <see cref="CoapSettings.MaxMessageSize"/>; nothing was sent.</summary>
    TooLarge,

    /// <summary>The random source gave no token unique among the peer's open requests in 8 tries; nothing was sent.</summary>
    NoUniqueToken,

    /// <summary>The message is not of a kind this method sends (e.g. a response passed to SendRequest, or an ACK).</summary>
    Invalid,
}
