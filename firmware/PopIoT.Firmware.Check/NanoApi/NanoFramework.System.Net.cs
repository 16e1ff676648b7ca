// Mirrors nanoFramework.System.Net 1.11.60 (assembly System.Net), source github.com/nanoframework/System.Net
// commit 713b02c9fea5265e4e70981a9115daa3b5745c4c: nanoFramework.System.Net/{EndPoint,IPAddress,IPEndPoint,DNS,
// IPHostEntry}.cs, Sockets/{Socket,AddressFamily,SocketType,ProtocolType,SocketFlags,SelectMode}.cs,
// NetworkHelper/{NetworkHelper,NetworkHelperStatus}.cs. Only the members the firmware's adapters call.
#pragma warning disable CS1591
using System.Threading;

using PopIoT.Firmware.Check;

namespace System.Net
{
    public abstract class EndPoint
    {
    }

    public class IPEndPoint : EndPoint
    {
        public IPEndPoint(IPAddress address, int port) => throw new NotSupportedException(CompileOnly.Message);

        public IPAddress Address => throw new NotSupportedException(CompileOnly.Message);

        public int Port => throw new NotSupportedException(CompileOnly.Message);
    }

    public class IPAddress
    {
        public static readonly IPAddress Any = null;

        public IPAddress(byte[] address) => throw new NotSupportedException(CompileOnly.Message);

        public byte[] GetAddressBytes() => throw new NotSupportedException(CompileOnly.Message);
    }

    public static class Dns
    {
        public static IPHostEntry GetHostEntry(string hostNameOrAddress) => throw new NotSupportedException(CompileOnly.Message);
    }

    public class IPHostEntry
    {
        public IPAddress[] AddressList => throw new NotSupportedException(CompileOnly.Message);
    }
}

namespace System.Net.Sockets
{
    public enum AddressFamily
    {
        InterNetwork = 2,
    }

    public enum SocketType
    {
        Dgram = 2,
    }

    public enum ProtocolType
    {
        Udp = 17,
    }

    [Flags]
    public enum SocketFlags
    {
        None = 0x0000,
    }

    public enum SelectMode
    {
        SelectRead = 0,
    }

    public class Socket : IDisposable
    {
        public Socket(AddressFamily addressFamily, SocketType socketType, ProtocolType protocolType) => throw new NotSupportedException(CompileOnly.Message);

        public void Bind(EndPoint localEP) => throw new NotSupportedException(CompileOnly.Message);

        public bool Poll(int microSeconds, SelectMode mode) => throw new NotSupportedException(CompileOnly.Message);

        public int ReceiveFrom(byte[] buffer, int offset, int size, SocketFlags socketFlags, ref EndPoint remoteEP) => throw new NotSupportedException(CompileOnly.Message);

        public int SendTo(byte[] buffer, int offset, int size, SocketFlags socketFlags, EndPoint remoteEP) => throw new NotSupportedException(CompileOnly.Message);

        public void Close() => throw new NotSupportedException(CompileOnly.Message);

        void IDisposable.Dispose() => throw new NotSupportedException(CompileOnly.Message);
    }
}

namespace nanoFramework.Networking
{
    public enum NetworkHelperStatus
    {
        None,
        Started,
        NetworkIsReady,
        FailedNoNetworkInterface,
        TokenExpiredWaitingIPAddress,
        TokenExpiredWaitingDateTime,
        ErrorConnetingToWiFiWhileScanning,
        ExceptionOccurred,
        Reconnecting,
    }

    public static class NetworkHelper
    {
        public static NetworkHelperStatus Status => throw new System.NotSupportedException(CompileOnly.Message);

        public static bool SetupAndConnectNetwork(CancellationToken token = default, bool requiresDateTime = false) => throw new System.NotSupportedException(CompileOnly.Message);
    }
}
