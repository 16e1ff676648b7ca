using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace PopIoT.Interop.Tests.Peers;

/// <summary>
/// The independent DTLS 1.2 PSK peers (DESIGN.md §7, docs/dtls.md "Other DTLS peers"): OpenSSL's s_client/s_server and
/// GnuTLS's gnutls-cli/gnutls-serv, each held to TLS_PSK_WITH_AES_128_CCM_8 (RFC 6655; the suite RFC 7925 §4.2 and
/// RFC 9202 mandate), and tshark, which decrypts DTLS with a PSK.
/// </summary>
internal static class DtlsPeers
{
    /// <summary>OpenSSL's name of TLS_PSK_WITH_AES_128_CCM_8 (0xC0A8).</summary>
    public const string OpensslCipher = "PSK-AES128-CCM8";

    /// <summary>GnuTLS's priority string for DTLS 1.2, plain PSK key exchange and AES-128-CCM-8 only.</summary>
    public const string GnutlsPriority = "NORMAL:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+PSK:-CIPHER-ALL:+AES-128-CCM-8";

    /// <summary>gnutls-cli prints this (and a blank line) once the handshake is done; received data follows it.</summary>
    public const string GnutlsCliReady = "- Simple Client Mode:\n\n";

    public static string? OpensslMissing => PeerRequirement.FindOnPath("openssl") == null ? "openssl is not on PATH (apt-get install openssl)" : null;

    public static string? GnutlsMissing =>
        PeerRequirement.FindOnPath("gnutls-cli") == null || PeerRequirement.FindOnPath("gnutls-serv") == null
            ? "gnutls-cli/gnutls-serv are not on PATH (apt-get install gnutls-bin)"
            : null;

    public static string? TsharkMissing => PeerRequirement.FindOnPath("tshark") == null ? "tshark is not on PATH (apt-get install tshark)" : null;

    /// <summary>A live capture on the loopback interface needs root or capture capabilities; CI runs as root.</summary>
    public static string? CaptureMissing => Environment.UserName == "root" ? null : "a live capture on loopback needs root (CI runs as root)";

    public static string Text(int n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// One line of a GnuTLS PSK password file (gnutls-serv --pskpasswd): <c>USERNAME:HEXKEY</c>; an identity that is not
    /// printable ASCII (a zero byte inside, say) is written in hex after a '#', which GnuTLS decodes to the bytes.
    /// </summary>
    public static string GnutlsPasswdLine(byte[] identity, byte[] key)
    {
        bool plain = identity.Length > 0 && identity.All(b => b > 0x20 && b < 0x7F && b != ':' && b != '#');
        return (plain ? System.Text.Encoding.ASCII.GetString(identity) : "#" + Convert.ToHexStringLower(identity)) + ":" + Convert.ToHexStringLower(key);
    }

    /// <summary>A UDP port P on 127.0.0.1 with P + 1 free too, for servers that take DTLS on their CoAP port + 1.</summary>
    public static int FreePortPair()
    {
        for (int i = 0; i < 100; i++)
        {
            int port = CoapPeers.FreePort();
            if (port < 65535 && IsFree(port + 1))
            {
                return port;
            }
        }

        throw new InvalidOperationException("no two adjacent free UDP ports on 127.0.0.1");
    }

    /// <summary>
    /// Waits until some process has bound UDP port <paramref name="port"/> (for a peer that prints nothing when ready),
    /// read from the kernel's socket tables: a probe that bound the port itself could take it from the peer.
    /// </summary>
    public static async Task WaitBoundAsync(int port, StdioPeer owner, TimeSpan limit)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        string hexPort = ":" + port.ToString("X4", CultureInfo.InvariantCulture) + " ";
        while (!new[] { "/proc/net/udp", "/proc/net/udp6" }.Any(t => File.Exists(t) && File.ReadLines(t).Skip(1).Any(l => l.Contains(hexPort, StringComparison.Ordinal) && LocalPort(l) == port)))
        {
            if (owner.HasExited || waited.Elapsed > limit)
            {
                throw new TimeoutException(owner.Name + " did not bind UDP port " + Text(port) + " within " + limit.TotalSeconds + " s; stderr: " + owner.Error);
            }

            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    // A /proc/net/udp line: "  sl  local_address rem_address ...", the local address as HEXADDR:HEXPORT.
    private static int LocalPort(string line)
    {
        string local = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return int.Parse(local[(local.IndexOf(':', StringComparison.Ordinal) + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    private static bool IsFree(int port)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
