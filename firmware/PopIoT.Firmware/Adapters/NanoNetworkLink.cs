using System;
using System.Device.Wifi;
using System.Net;
using System.Threading;

using nanoFramework.Networking;

using PopIoT.Core.Device;

namespace PopIoT.Firmware;

/// <summary>
/// <see cref="INetworkLink"/> over nanoFramework.Networking: <c>WifiNetworkHelper.ConnectDhcp</c> (System.Device.Wifi)
/// on ESP32 boards, <c>NetworkHelper.SetupAndConnectNetwork</c> (System.Net) for Ethernet, and <c>Dns.GetHostEntry</c>.
/// The passphrase goes to the helper and nowhere else.
/// </summary>
internal sealed class NanoNetworkLink : INetworkLink
{
    private string _lastError = string.Empty;

    /// <inheritdoc/>
    public string LastError
    {
        get { return _lastError; }
    }

    /// <inheritdoc/>
    public bool ConnectWifi(string ssid, string passphrase, int timeoutMs)
    {
        using (var timeout = new CancellationTokenSource(timeoutMs))
        {
            bool ok = WifiNetworkHelper.ConnectDhcp(ssid, passphrase, WifiReconnectionKind.Automatic, false, 0, timeout.Token);
            _lastError = ok ? string.Empty : StatusText(WifiNetworkHelper.Status);
            return ok;
        }
    }

    /// <inheritdoc/>
    public bool WaitForAddress(int timeoutMs)
    {
        using (var timeout = new CancellationTokenSource(timeoutMs))
        {
            bool ok = NetworkHelper.SetupAndConnectNetwork(timeout.Token, false);
            _lastError = ok ? string.Empty : StatusText(NetworkHelper.Status);
            return ok;
        }
    }

    /// <inheritdoc/>
    public bool Resolve(string host, int port, DatagramAddress into)
    {
        try
        {
            IPAddress[] list = Dns.GetHostEntry(host).AddressList;
            if (list == null || list.Length == 0)
            {
                _lastError = "no address for the name";
                return false;
            }

            byte[] address = list[0].GetAddressBytes();
            into.Set(address, 0, address.Length, port);
            return true;
        }
        catch (Exception)
        {
            _lastError = "DNS lookup failed";
            return false;
        }
    }

    private static string StatusText(NetworkHelperStatus status)
    {
        switch (status)
        {
            case NetworkHelperStatus.FailedNoNetworkInterface: return "no network interface";
            case NetworkHelperStatus.TokenExpiredWaitingIPAddress: return "timed out waiting for an IP address";
            case NetworkHelperStatus.ErrorConnetingToWiFiWhileScanning: return "could not join the network (SSID or passphrase?)";
            case NetworkHelperStatus.ExceptionOccurred: return "the network helper failed";
            default: return "not connected";
        }
    }
}
