using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using PopIoT.Coap;
using PopIoT.IO;
using PopIoT.Logging;

namespace PopIoT.Cli.Coap;

/// <summary>
/// What the serving commands (<c>coap serve</c>, <c>device simulate</c>) share: the --bind, --port and --duration options,
/// a stop signal from Ctrl-C, SIGTERM or the duration, and starting to listen with a clear error.
/// </summary>
internal sealed class CliListener : IDisposable
{
    private readonly StopSignal _stop;
    private ICoapTransport? _transport;

    private CliListener(IPEndPoint? bind, int port, double? seconds)
    {
        Bind = bind;
        Port = port;
        Seconds = seconds;
        _stop = new StopSignal(seconds is double s ? TimeSpan.FromSeconds(s) : null);
    }

    /// <summary>The --bind address and port, or null for both loopback addresses (the default).</summary>
    public IPEndPoint? Bind { get; }

    public int Port { get; }

    public double? Seconds { get; }

    /// <summary>Signalled by Ctrl-C, SIGTERM or the end of --duration.</summary>
    public CancellationToken Stopping => _stop.Stopping;

    /// <summary>"for S s" or "Ctrl-C stops", for the start line.</summary>
    public string Until => Seconds is double d ? "for " + d.ToString(CultureInfo.InvariantCulture) + " s" : "Ctrl-C stops";

    public static Option<string> BindOption() => new("--bind") { Description = "Address to listen on (by default 127.0.0.1 and ::1, the IPv4 and IPv6 loopback; :: for every interface, IPv4 and IPv6)." };

    public static Option<bool> VerboseOption() => new("--verbose", "-v") { Description = "Log each request (peer, method, path, response code) on stderr, with a UTC timestamp." };

    /// <summary>The server's logger: warnings always, each request too with -v (lines as <see cref="ShortLogLine"/>).</summary>
    public static ILogger Logger(CliContext io, string category, bool verbose) =>
        new LineLogger(io.Error, category, verbose ? LogLevel.Debug : LogLevel.Warning);

    public static Option<int> PortOption(int defaultPort) => new("--port", "-p") { Description = "UDP port (" + defaultPort.ToString(CultureInfo.InvariantCulture) + " by default; 0 picks a free one).", DefaultValueFactory = _ => defaultPort };

    public static Option<double?> DurationOption() => new("--duration") { Description = "Stop after S seconds (default: run until Ctrl-C)." };

    /// <summary>Checks the options and arms the stop signal.</summary>
    public static CliListener Create(string? bind, int port, double? seconds)
    {
        IPAddress? address = null;
        if (bind != null && !IPAddress.TryParse(bind.Trim('[', ']'), out address))
        {
            throw new CliUsageException("--bind must be an IP address, not '" + bind + "'");
        }

        if (port is < 0 or > 65535)
        {
            throw new CliUsageException("--port must be 0..65535");
        }

        if (seconds is <= 0 || (seconds is double s && double.IsNaN(s)))
        {
            throw new CliUsageException("--duration must be positive");
        }

        return new CliListener(address == null ? null : new IPEndPoint(address, port), port, seconds);
    }

    /// <summary>coap://host:port for an address (IPv6 in brackets).</summary>
    public static string CoapAddress(IPEndPoint at, string scheme = "coap") =>
        scheme + "://" + (at.AddressFamily == AddressFamily.InterNetworkV6 ? "[" + at.Address + "]" : at.Address.ToString()) + ":" + at.Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>"coap://127.0.0.1:5683 and coap://[::1]:5683" (or the one address listened on), for the start line.</summary>
    public string Addresses(IPEndPoint at, string scheme = "coap") =>
        CoapAddress(at, scheme) + (Bind == null && Socket.OSSupportsIPv6 && _transport is LoopbackUdpTransport { IPv6EndPoint: not null }
            ? " and " + CoapAddress(new IPEndPoint(IPAddress.IPv6Loopback, at.Port), scheme)
            : string.Empty);

    /// <summary>Opens the socket(s) and starts listening on them; a socket error is printed and gives null.</summary>
    public IPEndPoint? TryStart(CliContext io, Func<ICoapTransport, IPEndPoint> start)
    {
        IPEndPoint? at = TryStartAt(io, Port, start, out ICoapTransport? transport);
        _transport = transport;
        return at;
    }

    /// <summary>As <see cref="TryStart"/> on the --bind address(es) with another port (coaps beside coap).</summary>
    public IPEndPoint? TryStartAt(CliContext io, int port, Func<ICoapTransport, IPEndPoint> start) => TryStartAt(io, port, start, out _);

    private IPEndPoint? TryStartAt(CliContext io, int port, Func<ICoapTransport, IPEndPoint> start, out ICoapTransport? transport)
    {
        try
        {
            transport = Bind == null ? new LoopbackUdpTransport(port) : new UdpCoapTransport(new IPEndPoint(Bind.Address, port));
        }
        catch (SocketException e)
        {
            string where = Bind == null ? "127.0.0.1 and [::1] port " + port.ToString(CultureInfo.InvariantCulture) : new IPEndPoint(Bind.Address, port).ToString();
            io.Error.WriteLine("popiot: cannot listen on " + where + ": " + e.Message);
            transport = null;
            return null;
        }

        return start(transport);
    }

    /// <summary>
    /// As <see cref="TryStart"/>, with a second transport for coaps on the CoAP port + 1 (libcoap's convention; an
    /// ephemeral port when the CoAP port is 0), bound the same way.
    /// </summary>
    /// <param name="io">Where a bind failure is reported.</param>
    /// <param name="start">Starts the server on the CoAP and the coaps transport.</param>
    /// <returns>The CoAP endpoint, or null when a port could not be bound.</returns>
    public IPEndPoint? TryStartWithSecure(CliContext io, Func<ICoapTransport, ICoapTransport, IPEndPoint> start)
    {
        int securePort = Port == 0 ? 0 : Port + 1;
        ICoapTransport secure;
        try
        {
            secure = Bind == null ? new LoopbackUdpTransport(securePort) : new UdpCoapTransport(new IPEndPoint(Bind.Address, Bind.Port == 0 ? 0 : Bind.Port + 1));
        }
        catch (SocketException e)
        {
            io.Error.WriteLine("popiot: cannot listen for coaps on port " + securePort.ToString(CultureInfo.InvariantCulture) + ": " + e.Message);
            return null;
        }

        IPEndPoint? at = TryStart(io, t => start(t, secure));
        if (at == null)
        {
            secure.Dispose();
        }

        return at;
    }

    public void Dispose()
    {
        _stop.Dispose();
    }
}
