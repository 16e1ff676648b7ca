#nullable disable
using PopIoT.Core.Crypto;
using PopIoT.Core.Device;
using PopIoT.Core.Sntp;

namespace PopIoT.Firmware;

/// <summary>
/// Gets the wall time from an SNTP server over a datagram socket (RFC 4330) and sets the <see cref="SntpDeviceClock"/>.
/// Each attempt sends one request and waits for its reply with a timeout that doubles per attempt; datagrams from
/// any other address, and replies that do not echo the request, are ignored while the attempt lasts. Used at boot and
/// again later while the time is unknown (docs/firmware.md, "Time"). Allocates only at construction.
/// </summary>
public sealed class SntpTimeSync
{
    /// <summary>
    /// The earliest wall time accepted: 2025-01-01T00:00:00Z. SNTP is unauthenticated, so a forged answer could set any
    /// time; one before this floor (say, back to when an expired token was valid) is refused outright.
    /// </summary>
    public const long MinimumUnixSeconds = 1735689600L;

    private readonly SntpClient _client;
    private readonly byte[] _request = new byte[SntpClient.PacketLength];
    private readonly byte[] _reply = new byte[128];
    private readonly DatagramAddress _from = new DatagramAddress();

    /// <summary>Creates the exchange.</summary>
    /// <param name="random">The CSPRNG for the request's transmit timestamp.</param>
    public SntpTimeSync(IRandomSource random)
    {
        _client = new SntpClient(random);
    }

    /// <summary>Tries to learn the time; logs what happened, never the datagrams.</summary>
    /// <param name="socket">A datagram socket (not the CoAP one).</param>
    /// <param name="server">The server's address, port 123.</param>
    /// <param name="clock">The clock to set.</param>
    /// <param name="log">The log.</param>
    /// <param name="attempts">How many requests to send at most (1 or more).</param>
    /// <param name="firstTimeoutMs">How long the first attempt waits; each further one waits twice as long.</param>
    /// <returns>True when the clock was set.</returns>
    public bool Run(IDatagramSocket socket, DatagramAddress server, SntpDeviceClock clock, IDeviceLog log, int attempts, int firstTimeoutMs)
    {
        int timeout = firstTimeoutMs;
        for (int attempt = 1; attempt <= attempts; attempt++)
        {
            long sentAt = clock.MonotonicMilliseconds;
            int n = _client.WriteRequest(_request, 0, sentAt);
            if (!socket.Send(server, _request, 0, n))
            {
                log.Write(DeviceLogLevel.Warning, "time: SNTP request " + attempt + " could not be sent");
            }
            else
            {
                int result = Await(socket, server, clock, log, sentAt, sentAt + timeout);
                if (result > 0)
                {
                    return true;
                }

                if (result < 0)
                {
                    return false;
                }
            }

            timeout *= 2;
        }

        log.Write(DeviceLogLevel.Warning, "time: no SNTP answer after " + attempts + " request(s); running as a clockless device (exi tokens only, cnonce in the hints) until the time is known");
        return false;
    }

    // 1: the clock was set; 0: this attempt ended without an answer; -1: the server said to stop asking (kiss-o'-death).
    private int Await(IDatagramSocket socket, DatagramAddress server, SntpDeviceClock clock, IDeviceLog log, long sentAt, long deadline)
    {
        while (true)
        {
            long now = clock.MonotonicMilliseconds;
            if (now >= deadline)
            {
                return 0;
            }

            int length = socket.Receive(_reply, 0, _reply.Length, (int)(deadline - now), _from);
            if (length < 0)
            {
                return 0;
            }

            if (!_from.SameAs(server))
            {
                log.Write(DeviceLogLevel.Debug, "time: datagram from another address ignored");
                continue;
            }

            long receivedAt = clock.MonotonicMilliseconds;
            long unixMs;
            SntpError e = _client.ReadReply(_reply, 0, length, receivedAt, out unixMs);
            if (e == SntpError.None)
            {
                if (unixMs / 1000 < MinimumUnixSeconds)
                {
                    log.Write(DeviceLogLevel.Warning, "time: SNTP answer refused: " + (unixMs / 1000) + " is before the earliest accepted time " + MinimumUnixSeconds);
                    return 0;
                }

                clock.SetUnixTime(unixMs, receivedAt);
                log.Write(DeviceLogLevel.Information, "time: " + (unixMs / 1000) + " (Unix seconds) from SNTP, round trip " + (receivedAt - sentAt) + " ms; the wall time is known");
                return 1;
            }

            log.Write(_client.Pending ? DeviceLogLevel.Debug : DeviceLogLevel.Warning, "time: SNTP reply refused: " + SntpErrorName(e));
            if (e == SntpError.KissOfDeath)
            {
                return -1;
            }

            if (!_client.Pending)
            {
                return 0;
            }
        }
    }

    // Names spelled out: enum names are not in a nanoFramework assembly's metadata once it is minimized.
    private static string SntpErrorName(SntpError e)
    {
        switch (e)
        {
            case SntpError.TooShort: return "shorter than 48 bytes";
            case SntpError.Unsolicited: return "no request outstanding";
            case SntpError.OriginateMismatch: return "originate timestamp does not echo the request";
            case SntpError.NotServerMode: return "not a server reply (mode)";
            case SntpError.UnsupportedVersion: return "unsupported NTP version";
            case SntpError.Unsynchronized: return "server not synchronized (leap indicator 3)";
            case SntpError.KissOfDeath: return "kiss-o'-death (stratum 0): not asking this server again now";
            case SntpError.InvalidStratum: return "stratum above 15";
            case SntpError.ZeroTransmitTime: return "zero transmit time";
            default: return "invalid arguments";
        }
    }
}
