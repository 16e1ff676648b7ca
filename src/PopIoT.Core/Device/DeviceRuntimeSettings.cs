using System;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;

namespace PopIoT.Core.Device;

/// <summary>
/// The sizes and timers of a <see cref="DeviceRuntime"/> (docs/firmware.md, "The device runtime"): the ACE engine's
/// settings, the CoAP message layer's, and the runtime's own tables. Every buffer the runtime allocates is sized from
/// these at construction; nothing grows later. The defaults fit a board with about 54 KB of managed heap (ESP32-C3)
/// with 8 token slots; a board profile (hardware/boards) overrides them.
/// </summary>
public sealed class DeviceRuntimeSettings
{
    /// <summary>Creates settings with the device defaults (the <see cref="Ace"/> settings still to be given).</summary>
    public DeviceRuntimeSettings()
    {
        Coap = DeviceCoap(1152);
        MaxPeers = 8;
        MaxObservers = 4;
        ClockTickMs = 1000;
        ConfirmableNotificationEvery = 5;
        Block1Slots = 1;
        MaxBodySize = 256;
        MaxConfigurationSize = 512;
    }

    /// <summary>
    /// The ACE engine's settings (audience, AS URI, slots, replay window, token size). Its HasClock is not read: the
    /// runtime learns the wall time from <see cref="IDeviceClock.TryGetUnixTime"/> and behaves as a clockless device
    /// until then (RFC 9200 §5.10.3).
    /// </summary>
    public AceRsSettings Ace { get; set; }

    /// <summary>The CoAP message layer's settings; <see cref="CoapSettings.MaxMessageSize"/> sizes the datagram buffers.</summary>
    public CoapSettings Coap { get; set; }

    /// <summary>How many client addresses the peer table holds (1..255); a new one evicts the least recently used idle one.</summary>
    public int MaxPeers { get; set; }

    /// <summary>How many observations (RFC 7641) are held at once (1..64); a registration beyond it is served without Observe.</summary>
    public int MaxObservers { get; set; }

    /// <summary>The period of the clock tick in milliseconds (10..60000): token expiry, the wall-time check and the temperature check.</summary>
    public int ClockTickMs { get; set; }

    /// <summary>Every Nth notification is confirmable (RFC 7641 §4.5), so an observer that went away is noticed; 1 makes all of them CON.</summary>
    public int ConfirmableNotificationEvery { get; set; }

    /// <summary>Concurrent Block1 uploads (RFC 7959 §2.5) to the device's resources (1..16).</summary>
    public int Block1Slots { get; set; }

    /// <summary>The largest request body a resource takes (PUT /config), reassembled from Block1 blocks; larger gets 4.13.</summary>
    public int MaxBodySize { get; set; }

    /// <summary>The largest configuration record read at start (<see cref="DeviceRecords.Configuration"/>).</summary>
    public int MaxConfigurationSize { get; set; }

    /// <summary>
    /// The DTLS engine's sizes and timers when the device serves CoAP over DTLS (the coap_dtls profile, RFC 9202 PSK
    /// mode; <see cref="AceRsSettings.ServesDtls"/> must then be set), or null for OSCORE only. Its DatagramSize must hold
    /// a whole CoAP message in one record (<see cref="CoapSettings.MaxMessageSize"/> + 37 bytes of record overhead with
    /// the 16-byte tag; RFC 6347 §4.1.1.1: no record spans datagrams).
    /// </summary>
    public PopIoT.Core.Dtls.DtlsSettings Dtls { get; set; }

    /// <summary>Bytes a DTLS record adds to its data in the worst case: header 13, explicit nonce 8, tag 16 (RFC 6655 §3).</summary>
    public const int DtlsRecordOverhead = 37;

    /// <summary>Whether each request is logged at <see cref="DeviceLogLevel.Debug"/> (<see cref="DeviceRequestLine"/>); off by default, as building the line allocates.</summary>
    public bool LogRequests { get; set; }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value is missing or out of range; the message names the setting.</exception>
    public void Validate()
    {
        if (Ace == null)
        {
            throw new ArgumentException("DeviceRuntimeSettings.Ace is required (audience, AS URI, slots).");
        }

        if (Coap == null)
        {
            throw new ArgumentException("DeviceRuntimeSettings.Coap is required.");
        }

        // The nested settings name their own property; say which group it belongs to.
        try
        {
            Ace.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException("DeviceRuntimeSettings.Ace." + e.Message);
        }

        try
        {
            Coap.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException("DeviceRuntimeSettings.Coap: " + e.Message);
        }
        Check(Coap.MaxMessageSize >= 64 && Coap.MaxMessageSize <= 65507, "DeviceRuntimeSettings.Coap.MaxMessageSize must be 64..65507 (one UDP datagram).");
        Check(MaxPeers >= 1 && MaxPeers <= 255, "DeviceRuntimeSettings.MaxPeers must be 1..255.");
        Check(MaxObservers >= 1 && MaxObservers <= 64, "DeviceRuntimeSettings.MaxObservers must be 1..64.");
        Check(ClockTickMs >= 10 && ClockTickMs <= 60000, "DeviceRuntimeSettings.ClockTickMs must be 10..60000.");
        Check(ConfirmableNotificationEvery >= 1, "DeviceRuntimeSettings.ConfirmableNotificationEvery must be at least 1.");
        Check(Block1Slots >= 1 && Block1Slots <= 16, "DeviceRuntimeSettings.Block1Slots must be 1..16.");
        Check(MaxBodySize >= 1 && MaxBodySize <= 65536, "DeviceRuntimeSettings.MaxBodySize must be 1..65536.");
        Check(MaxConfigurationSize >= 64 && MaxConfigurationSize <= 4096, "DeviceRuntimeSettings.MaxConfigurationSize must be 64..4096.");
        Check((Dtls != null) == Ace.ServesDtls, "DeviceRuntimeSettings.Dtls is set exactly when Ace.ServesDtls is (DTLS carries the coap_dtls profile).");
        if (Dtls != null)
        {
            try
            {
                Dtls.Validate();
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException("DeviceRuntimeSettings.Dtls." + e.Message);
            }

            Check(Dtls.DatagramSize >= Coap.MaxMessageSize + DtlsRecordOverhead, "DeviceRuntimeSettings.Dtls.DatagramSize must hold a whole CoAP message in one record (Coap.MaxMessageSize + 37).");
            Check(Dtls.MaxPskLength >= Ace.MaxPskLength, "DeviceRuntimeSettings.Dtls.MaxPskLength must hold Ace.MaxPskLength.");
        }
    }

    /// <summary>The resources a board's engine holds: the device's own (docs/firmware.md, "The device runtime") with room for a few more.</summary>
    public const int DeviceMaxResources = 8;

    /// <summary>
    /// Option slots of the device's receive and response messages: a device's requests carry a few Uri-Path segments,
    /// OSCORE, Content-Format, Accept, Observe, Block1/Block2, Size1/Size2, Echo and Uri-Host (RFC 7252 §5.10, RFC 7959,
    /// RFC 7641, RFC 8613); a message with more is refused as too large, not truncated.
    /// </summary>
    public const int DeviceOptionCapacity = 16;

    /// <summary>What a message needs beyond its block: the header, token, options and OSCORE's tag (RFC 7252 §4.6's 128 bytes).</summary>
    public const int MessageOverheadBytes = 128;

    /// <summary>
    /// The largest CoAP message on a board: the largest block it allows (RFC 7959 §2.2) plus
    /// <see cref="MessageOverheadBytes"/>, so 1152 bytes with 1024-byte blocks as RFC 7252 §4.6 recommends; at most
    /// 1152, and less when the network's MTU, less the IPv6 and UDP headers (48 bytes), leaves less. Every datagram
    /// buffer of the runtime and the engine's OSCORE buffers are this size (docs/firmware.md, "Device budgets").
    /// </summary>
    /// <param name="mtu">The network's MTU.</param>
    /// <param name="blockSzx">The largest block size exponent (0..6).</param>
    /// <returns>Bytes.</returns>
    public static int MessageSizeFor(int mtu, int blockSzx)
    {
        int size = 1152;
        if (mtu - 48 < size)
        {
            size = mtu - 48;
        }

        int block = (16 << blockSzx) + MessageOverheadBytes;
        return block < size ? block : size;
    }

    /// <summary>
    /// The message layer's settings on a device (the simulator's and the firmware's): RFC 7252 §4.6 messages of
    /// <paramref name="maxMessageSize"/>, and the tables cut to what a few clients need, since each outbox entry and
    /// exchange holds a whole message: the runtime sends what is queued after every datagram and every notification
    /// (2 outbox entries), a client keeping NSTART = 1 (RFC 7252 §4.7) needs one duplicate entry at a time, and the
    /// device's own CON messages are notifications. The duplicate cache's replies share a pool of one message (most
    /// replies are a few dozen bytes; docs/coap.md, "Duplicate detection").
    /// </summary>
    /// <param name="maxMessageSize">The largest message (<see cref="MessageSizeFor"/>).</param>
    /// <returns>New settings with RFC 7252's default transmission parameters.</returns>
    public static CoapSettings DeviceCoap(int maxMessageSize)
    {
        CoapSettings c = new CoapSettings();
        c.MaxMessageSize = maxMessageSize;
        c.MaxExchanges = 2;
        c.DeduplicationCapacity = 4;
        c.DeduplicationPoolBytes = maxMessageSize;
        c.OutboxCapacity = 2;
        c.NonRecordCapacity = 4;
        c.MaxPeers = 8;
        c.OptionCapacity = DeviceOptionCapacity;
        return c;
    }

    /// <summary>
    /// What a ClientKeyExchange adds to its psk_identity when it travels in one record: the record header 13, the
    /// handshake header 12 and the identity's length 2 (RFC 6347 §4.1, §4.2.2; RFC 4279 §2).
    /// </summary>
    public const int DtlsIdentityOverhead = 27;

    /// <summary>
    /// The DTLS engine's settings on a device (the coap_dtls profile, RFC 9202 PSK mode; docs/firmware.md, "CoAP over
    /// DTLS"), the one mapping the firmware runs and the budget measures:
    /// <list type="bullet">
    /// <item>datagrams that hold one whole CoAP message in one record (RFC 6347 §4.1.1.1);</item>
    /// <item>an identity as long as the largest token (RFC 9202 §3.3.2 lets the client send the token as its
    /// psk_identity) but no longer than one datagram carries in an unfragmented ClientKeyExchange: the identity, the
    /// handshake reassembly and the flight buffers are all sized by it, and a longer token is posted to /authz-info
    /// (with Block1) and named by the kid form;</item>
    /// <item>a PSK of at most <see cref="AceRsSettings.DefaultMaxPskLength"/> bytes, the first retransmission at CoAP's
    /// ACK_TIMEOUT;</item>
    /// <item>an outbox of 2 (the runtime sends after every datagram and every tick; what one step makes on a server is
    /// one flight, one record or one close_notify per session, and a lost close_notify only ends a session the device
    /// has already ended);</item>
    /// <item>no handshake message held out of order: it is dropped and the peer's retransmitted flight brings it
    /// again (RFC 6347 §4.2.2), which saves a reassembly buffer per handshake.</item>
    /// </list>
    /// </summary>
    /// <param name="maxMessageSize">The largest CoAP message (<see cref="MessageSizeFor"/>).</param>
    /// <param name="sessions">Sessions, established and handshaking together.</param>
    /// <param name="handshakes">The handshake pool.</param>
    /// <param name="maxTokenBytes">The largest token, hence the largest psk_identity.</param>
    /// <param name="ackTimeoutMs">CoAP's ACK_TIMEOUT (RFC 7252 §4.8).</param>
    /// <returns>New settings.</returns>
    public static PopIoT.Core.Dtls.DtlsSettings DeviceDtls(int maxMessageSize, int sessions, int handshakes, int maxTokenBytes, int ackTimeoutMs)
    {
        var d = new PopIoT.Core.Dtls.DtlsSettings();
        d.MaxSessions = sessions;
        d.MaxHandshakes = handshakes;
        d.DatagramSize = maxMessageSize + DtlsRecordOverhead;
        int oneDatagram = d.DatagramSize - DtlsIdentityOverhead;
        d.MaxIdentityLength = maxTokenBytes < oneDatagram ? maxTokenBytes : oneDatagram;
        d.MaxPskLength = AceRsSettings.DefaultMaxPskLength;
        d.InitialRetransmitMs = ackTimeoutMs;
        d.OutboxCapacity = 2;
        d.OutOfOrderMessages = 0;
        return d;
    }

    private static void Check(bool ok, string message)
    {
        if (!ok)
        {
            throw new ArgumentException(message);
        }
    }
}
