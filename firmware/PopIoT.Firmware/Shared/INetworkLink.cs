#nullable disable
using PopIoT.Core.Device;

namespace PopIoT.Firmware;

/// <summary>The board's network interface: joining Wi-Fi, waiting for an address, resolving a host name.</summary>
public interface INetworkLink
{
    /// <summary>Joins a Wi-Fi network with DHCP (nanoFramework's WifiNetworkHelper on ESP32).</summary>
    /// <param name="ssid">The SSID.</param>
    /// <param name="passphrase">The passphrase (empty: open network). Never logged.</param>
    /// <param name="timeoutMs">How long to try.</param>
    /// <returns>True when the board has an address.</returns>
    bool ConnectWifi(string ssid, string passphrase, int timeoutMs);

    /// <summary>Waits for a wired interface's DHCP address.</summary>
    /// <param name="timeoutMs">How long to wait.</param>
    /// <returns>True when the board has an address.</returns>
    bool WaitForAddress(int timeoutMs);

    /// <summary>Resolves a host name or an address literal.</summary>
    /// <param name="host">The name.</param>
    /// <param name="port">The port to put in the address.</param>
    /// <param name="into">Filled with the first address.</param>
    /// <returns>False when it does not resolve.</returns>
    bool Resolve(string host, int port, DatagramAddress into);

    /// <summary>Why the last operation failed, in words without secrets (for the log).</summary>
    string LastError { get; }
}
