using System;
using System.Collections.Generic;

using PopIoT.Core.Crypto;
using PopIoT.Core.Dtls;

namespace PopIoT.Core.Tests.Dtls;

/// <summary>Records what a <see cref="DtlsEngine"/> reports.</summary>
internal sealed class RecordingListener : IDtlsListener
{
    public List<int> Connected { get; } = [];

    public List<(int Peer, byte[] Data)> Data { get; } = [];

    public List<(int Peer, int Alert)> Closed { get; } = [];

    public Action<int, ByteRange>? OnData { get; set; }

    public void OnConnected(int peer) => Connected.Add(peer);

    public void OnApplicationData(int peer, ByteRange data)
    {
        Data.Add((peer, data.Buffer.AsSpan(data.Offset, data.Count).ToArray()));
        OnData?.Invoke(peer, data);
    }

    public void OnClosed(int peer, int alert) => Closed.Add((peer, alert));
}

/// <summary>A server key table: identity bytes (as hex) to key; records the identities it was asked for, whole.</summary>
internal sealed class TablePskStore : IDtlsPskStore
{
    private readonly Dictionary<string, byte[]> _keys = new(StringComparer.Ordinal);

    public List<(int Peer, byte[] Identity)> Asked { get; } = [];

    public int Refusal { get; set; }

    public TablePskStore Add(byte[] identity, byte[] key)
    {
        _keys[Convert.ToHexString(identity)] = key;
        return this;
    }

    public int FindKey(int peer, ByteRange identity, ByteRange key)
    {
        byte[] id = identity.Buffer.AsSpan(identity.Offset, identity.Count).ToArray();
        Asked.Add((peer, id));
        if (!_keys.TryGetValue(Convert.ToHexString(id), out byte[]? k))
        {
            return Refusal;
        }

        k.CopyTo(key.Buffer, key.Offset);
        return k.Length;
    }
}

/// <summary>
/// Our client and our server over an in-memory network with a virtual clock: datagrams can be dropped, duplicated and
/// delayed (which reorders them), all from a seeded random source. The client is peer 7 at the server; the server is
/// peer 3 at the client.
/// </summary>
internal sealed class DtlsWorld
{
    public const int ClientPeer = 7;
    public const int ServerPeer = 3;
    public static readonly byte[] Identity = "device-1"u8.ToArray();
    public static readonly byte[] Key = Convert.FromHexString("00112233445566778899aabbccddeeff");
    public static readonly byte[] ClientAddress = [192, 0, 2, 7, 0x16, 0x34];

    private readonly List<(long At, bool ToServer, byte[] Bytes)> _wire = [];
    private readonly Random _random;
    private readonly byte[] _buffer = new byte[20000];

    public DtlsWorld(int seed, DtlsSettings? clientSettings = null, DtlsSettings? serverSettings = null, TablePskStore? store = null)
    {
        _random = SeededRandomSource.NewRandom(seed);
        Store = store ?? new TablePskStore().Add(Identity, Key);
        Client = new DtlsEngine(clientSettings ?? new DtlsSettings(), new ManagedCryptoProvider(new SeededRandomSource(seed + 1)), null, ClientEvents);
        Server = new DtlsEngine(serverSettings ?? new DtlsSettings(), new ManagedCryptoProvider(new SeededRandomSource(seed + 2)), Store, ServerEvents);
    }

    public DtlsEngine Client { get; }

    public DtlsEngine Server { get; }

    public RecordingListener ClientEvents { get; } = new();

    public RecordingListener ServerEvents { get; } = new();

    public TablePskStore Store { get; }

    public long Now { get; set; } = 1_000;

    public double DropRate { get; set; }

    public double DuplicateRate { get; set; }

    public int MaxDelayMs { get; set; }

    public List<byte[]> ToServerLog { get; } = [];

    public List<byte[]> ToClientLog { get; } = [];

    public List<long> ClientSendTimes { get; } = [];

    public bool Connect() => Client.Connect(ServerPeer, ByteRange.Of(Identity), ByteRange.Of(Key), Now);

    /// <summary>Moves datagrams and time until <paramref name="done"/> holds or nothing is left to happen before <paramref name="until"/>.</summary>
    public bool Run(Func<bool> done, long until)
    {
        while (!done())
        {
            Collect();
            long next = Math.Min(Client.NextDeadline, Server.NextDeadline);
            foreach (var d in _wire)
            {
                next = Math.Min(next, d.At);
            }

            if (next == DtlsEngine.NoDeadline || next > until)
            {
                return done();
            }

            Now = Math.Max(Now, next);
            for (int i = 0; i < _wire.Count; i++)
            {
                if (_wire[i].At <= Now)
                {
                    var d = _wire[i];
                    _wire.RemoveAt(i--);
                    if (d.ToServer)
                    {
                        Server.Receive(ByteRange.Of(d.Bytes), ClientPeer, ByteRange.Of(ClientAddress), Now);
                    }
                    else
                    {
                        Client.Receive(ByteRange.Of(d.Bytes), ServerPeer, default, Now);
                    }
                }
            }

            Client.Poll(Now);
            Server.Poll(Now);
        }

        return true;
    }

    /// <summary>Removes the datagrams on the wire in one direction; true when there were any.</summary>
    public bool DropPending(bool toServer) => _wire.RemoveAll(d => d.ToServer == toServer) > 0;

    /// <summary>Takes every queued datagram onto the wire, applying loss, duplication and delay.</summary>
    public void Collect()
    {
        while (Client.TryTakeOutgoing(_buffer, 0, out int n, out int peer))
        {
            Assert(peer == ServerPeer);
            Put(true, _buffer.AsSpan(0, n).ToArray());
        }

        while (Server.TryTakeOutgoing(_buffer, 0, out int n, out int peer))
        {
            Assert(peer == ClientPeer);
            Put(false, _buffer.AsSpan(0, n).ToArray());
        }
    }

    private void Put(bool toServer, byte[] bytes)
    {
        (toServer ? ToServerLog : ToClientLog).Add(bytes);
        if (toServer)
        {
            ClientSendTimes.Add(Now);
        }

        int copies = _random.NextDouble() < DuplicateRate ? 2 : 1;
        for (int i = 0; i < copies; i++)
        {
            if (_random.NextDouble() >= DropRate)
            {
                _wire.Add((Now + _random.Next(0, MaxDelayMs + 1), toServer, bytes));
            }
        }
    }

    private static void Assert(bool condition)
    {
        if (!condition)
        {
            throw new InvalidOperationException("A datagram was addressed to the wrong peer.");
        }
    }
}
