// Mirrors nanoFramework.System.Device.Wifi 1.5.149 (assembly System.Device.Wifi), source
// github.com/nanoframework/System.Device.Wifi commit 282a90676d5b2b7fa583a4efeb47ec5cac77fa0e:
// System.Device.Wifi/NetworkHelper/WifiNetworkHelper.cs, WifiReconnectionKind.cs. Only the members the adapters call.
#pragma warning disable CS1591
using System.Device.Wifi;
using System.Threading;

using PopIoT.Firmware.Check;

namespace System.Device.Wifi
{
    public enum WifiReconnectionKind
    {
        Automatic,
        Manual,
    }
}

namespace nanoFramework.Networking
{
    public static class WifiNetworkHelper
    {
        public static NetworkHelperStatus Status => throw new System.NotSupportedException(CompileOnly.Message);

        public static bool ConnectDhcp(
            string ssid,
            string password,
            WifiReconnectionKind reconnectionKind = WifiReconnectionKind.Automatic,
            bool requiresDateTime = false,
            int wifiAdapterId = 0,
            CancellationToken token = default) => throw new System.NotSupportedException(CompileOnly.Message);
    }
}
