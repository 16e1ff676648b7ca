using System;
using System.Collections.Concurrent;

using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace PopIoT.Core.Tests.Dtls;

/// <summary>One end of an in-memory datagram pipe for BouncyCastle's blocking DTLS (its <see cref="DatagramTransport"/>).</summary>
internal sealed class QueueTransport(BlockingCollection<byte[]> incoming, BlockingCollection<byte[]> outgoing, int mtu) : DatagramTransport
{
    public int GetReceiveLimit() => mtu;

    public int GetSendLimit() => mtu;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        if (!incoming.TryTake(out byte[]? d, waitMillis))
        {
            return -1;
        }

        int n = Math.Min(d.Length, buffer.Length);
        d.AsSpan(0, n).CopyTo(buffer);
        return n;
    }

    public void Send(byte[] buf, int off, int len) => outgoing.Add(buf.AsSpan(off, len).ToArray());

    public void Send(ReadOnlySpan<byte> buffer) => outgoing.Add(buffer.ToArray());

    public void Close()
    {
    }
}

/// <summary>BouncyCastle's PSK client limited to DTLS 1.2, one suite and the extended master secret.</summary>
internal sealed class BcPskClient(TlsCrypto crypto, byte[] identity, byte[] key, int suite) : PskTlsClient(crypto, new BasicTlsPskIdentity(identity, key))
{
    public bool ExtendedMasterSecret { get; private set; }

    public byte[]? Exported { get; private set; }

    public int NegotiatedSuite { get; private set; }

    public static TlsCrypto NewCrypto() => new BcTlsCrypto(new SecureRandom());

    public override bool RequiresExtendedMasterSecret() => true;

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        ExtendedMasterSecret = m_context.SecurityParameters.IsExtendedMasterSecret;
        NegotiatedSuite = m_context.SecurityParameters.CipherSuite;
        Exported = m_context.ExportKeyingMaterial(DtlsInteropTests.ExporterLabel, null, 32);
    }

    protected override int[] GetSupportedCipherSuites() => [suite];

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();
}

/// <summary>BouncyCastle's PSK server limited to DTLS 1.2, one suite and the extended master secret, with one identity.</summary>
internal sealed class BcPskServer(TlsCrypto crypto, byte[] identity, byte[] key, int suite) : PskTlsServer(crypto, new OneIdentity(identity, key))
{
    public bool ExtendedMasterSecret { get; private set; }

    public byte[]? Exported { get; private set; }

    public volatile bool CloseNotifyReceived;

    public override bool RequiresExtendedMasterSecret() => true;

    public override void NotifyAlertReceived(short alertLevel, short alertDescription)
    {
        base.NotifyAlertReceived(alertLevel, alertDescription);
        CloseNotifyReceived |= alertDescription == AlertDescription.close_notify;
    }

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        ExtendedMasterSecret = m_context.SecurityParameters.IsExtendedMasterSecret;
        Exported = m_context.ExportKeyingMaterial(DtlsInteropTests.ExporterLabel, null, 32);
    }

    protected override int[] GetSupportedCipherSuites() => [suite];

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    private sealed class OneIdentity(byte[] identity, byte[] key) : TlsPskIdentityManager
    {
        public byte[]? GetHint() => null;

        public byte[]? GetPsk(byte[] id) => id.AsSpan().SequenceEqual(identity) ? key : null;
    }
}
