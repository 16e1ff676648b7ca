namespace PopIoT.Core.Device;

/// <summary>
/// A datagram peer's transport address as bytes: the IP address (4 bytes for IPv4, 16 for IPv6) and the UDP port. The
/// socket fills one per received datagram and the runtime's peer table maps it to the small peer index the message
/// layer works with (RFC 7252 §4: a CoAP endpoint is identified by its address and port). Mutable and reused, so that
/// receiving allocates nothing.
/// </summary>
public sealed class DatagramAddress
{
    /// <summary>The longest address held: IPv6.</summary>
    public const int MaxAddressLength = 16;

    private readonly byte[] _address = new byte[MaxAddressLength];

    /// <summary>The address bytes; the first <see cref="AddressLength"/> are meaningful.</summary>
    public byte[] Address => _address;

    /// <summary>4 (IPv4), 16 (IPv6) or 0 (not set).</summary>
    public int AddressLength { get; private set; }

    /// <summary>The UDP port (0..65535).</summary>
    public int Port { get; private set; }

    /// <summary>Sets the address from the caller's bytes.</summary>
    /// <param name="address">The array holding the address.</param>
    /// <param name="offset">Where it starts.</param>
    /// <param name="length">4 or 16.</param>
    /// <param name="port">The UDP port.</param>
    /// <exception cref="System.ArgumentException">The length is not 4 or 16, or the port is out of range.</exception>
    public void Set(byte[] address, int offset, int length, int port)
    {
        if (address == null || (length != 4 && length != 16) || offset < 0 || offset > address.Length - length)
        {
            throw new System.ArgumentException("an IP address is 4 (IPv4) or 16 (IPv6) bytes");
        }

        if (port < 0 || port > 65535)
        {
            throw new System.ArgumentException("a UDP port is 0..65535");
        }

        for (int i = 0; i < length; i++)
        {
            _address[i] = address[offset + i];
        }

        for (int i = length; i < MaxAddressLength; i++)
        {
            _address[i] = 0;
        }

        AddressLength = length;
        Port = port;
    }

    /// <summary>Copies another address into this one.</summary>
    /// <param name="other">The address to copy.</param>
    public void CopyFrom(DatagramAddress other)
    {
        for (int i = 0; i < MaxAddressLength; i++)
        {
            _address[i] = other._address[i];
        }

        AddressLength = other.AddressLength;
        Port = other.Port;
    }

    /// <summary>Whether both name the same address and port.</summary>
    /// <param name="other">The other address.</param>
    /// <returns>True when equal.</returns>
    public bool SameAs(DatagramAddress other)
    {
        if (other == null || other.AddressLength != AddressLength || other.Port != Port)
        {
            return false;
        }

        for (int i = 0; i < AddressLength; i++)
        {
            if (_address[i] != other._address[i])
            {
                return false;
            }
        }

        return true;
    }
}
