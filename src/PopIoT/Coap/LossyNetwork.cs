using System.Net;

namespace PopIoT.Coap;

/// <summary>
/// An in-memory datagram network on a virtual clock (DESIGN.md §3, §7): it drops, duplicates, reorders and delays
/// datagrams with a seeded generator, so a test over thousands of exchanges and minutes of retransmission back-off
/// runs in milliseconds and the same way each time. Endpoints get an <see cref="ICoapTransport"/> from
/// <see cref="CreateTransport"/>; the test drives time with <see cref="RunUntil"/>. Time only moves inside
/// <see cref="RunUntil"/>, from event to event.
/// </summary>
public sealed class LossyNetwork
{
    private readonly object _gate = new();
    private readonly LossyNetworkOptions _options;
    private readonly Random _random;
    private readonly Dictionary<IPEndPoint, Node> _nodes = [];
    private readonly PriorityQueue<Event, (long Time, long Seq)> _events = new();
    private long _seq;
    private long _now;
    private long _sent;
    private long _dropped;
    private long _duplicated;
    private long _reordered;
    private long _delivered;

    /// <summary>Creates a network.</summary>
    /// <param name="options">Loss, duplication, reordering, delay and the seed.</param>
    public LossyNetwork(LossyNetworkOptions options)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.MinDelayMs < 0 || options.MaxDelayMs < options.MinDelayMs || options.ReorderDelayMs < 0)
        {
            throw new ArgumentException("Delays must satisfy 0 <= MinDelayMs <= MaxDelayMs and ReorderDelayMs >= 0.", nameof(options));
        }

        _random = new Random(options.Seed);
    }

    /// <summary>Called for every datagram handed to the network, before loss: source, destination, bytes.</summary>
    public event Action<IPEndPoint, IPEndPoint, byte[]>? DatagramSent;

    /// <summary>The virtual time in milliseconds.</summary>
    public long NowMs
    {
        get
        {
            lock (_gate)
            {
                return _now;
            }
        }
    }

    /// <summary>What the network did so far.</summary>
    public LossyNetworkStatistics Statistics
    {
        get
        {
            lock (_gate)
            {
                return new LossyNetworkStatistics(_sent, _dropped, _duplicated, _reordered, _delivered);
            }
        }
    }

    /// <summary>Attaches an endpoint at <paramref name="address"/>.</summary>
    /// <param name="address">Its address (any, e.g. 10.0.0.1:5683); unique on this network.</param>
    /// <returns>Its transport.</returns>
    public ICoapTransport CreateTransport(IPEndPoint address)
    {
        lock (_gate)
        {
            var node = new Node(this, address);
            _nodes.Add(address, node);
            return node;
        }
    }

    /// <summary>
    /// Runs events in time order until <paramref name="done"/> holds, nothing is left to do, or the virtual time would pass
    /// <paramref name="untilMs"/>. Everything the endpoints do happens on the calling thread.
    /// </summary>
    /// <param name="done">Checked before every event.</param>
    /// <param name="untilMs">The virtual time limit.</param>
    /// <returns>Whether <paramref name="done"/> holds at the end.</returns>
    public bool RunUntil(Func<bool> done, long untilMs)
    {
        ArgumentNullException.ThrowIfNull(done);
        while (!done())
        {
            Event e;
            lock (_gate)
            {
                if (!_events.TryPeek(out e, out (long Time, long Seq) key) || key.Time > untilMs)
                {
                    break;
                }

                _events.Dequeue();
                _now = Math.Max(_now, key.Time);
                if (e.Data == null)
                {
                    if (e.Target.WakeAt != key.Time)
                    {
                        continue;
                    }

                    e.Target.WakeAt = long.MaxValue;
                }
                else
                {
                    _delivered++;
                }
            }

            if (e.Data == null)
            {
                e.Target.Sink?.OnTimer();
            }
            else
            {
                e.Target.Sink?.OnDatagram(e.Source!, e.Data);
            }
        }

        return done();
    }

    /// <summary>Runs until the virtual time reaches <paramref name="untilMs"/> or nothing is left to do.</summary>
    /// <param name="untilMs">The virtual time limit.</param>
    public void RunTo(long untilMs) => RunUntil(() => false, untilMs);

    private void Transmit(Node from, IPEndPoint to, ReadOnlySpan<byte> datagram)
    {
        byte[] copy = datagram.ToArray();
        DatagramSent?.Invoke(from.LocalEndPoint, to, copy);
        lock (_gate)
        {
            _sent++;
            if (!_nodes.TryGetValue(to, out Node? target) || _random.NextDouble() < _options.DropRate)
            {
                _dropped++;
                return;
            }

            Schedule(target, from.LocalEndPoint, copy);
            if (_random.NextDouble() < _options.DuplicateRate)
            {
                _duplicated++;
                Schedule(target, from.LocalEndPoint, copy);
            }
        }
    }

    private void Schedule(Node target, IPEndPoint source, byte[] data)
    {
        long delay = _options.MinDelayMs + _random.NextInt64(_options.MaxDelayMs - _options.MinDelayMs + 1);
        if (_random.NextDouble() < _options.ReorderRate)
        {
            _reordered++;
            delay += _random.NextInt64(_options.ReorderDelayMs + 1);
        }

        _events.Enqueue(new Event(target, source, data), (_now + delay, _seq++));
    }

    private void Wake(Node node, long at)
    {
        lock (_gate)
        {
            long when = at == long.MaxValue ? at : Math.Max(at, _now);
            if (when == node.WakeAt)
            {
                return;
            }

            node.WakeAt = when;
            if (when != long.MaxValue)
            {
                _events.Enqueue(new Event(node, null, null), (when, _seq++));
            }
        }
    }

    private readonly record struct Event(Node Target, IPEndPoint? Source, byte[]? Data);

    private sealed class Node(LossyNetwork network, IPEndPoint address) : ICoapTransport
    {
        public IPEndPoint LocalEndPoint { get; } = address;

        public long NowMs => network.NowMs;

        public ICoapTransportSink? Sink { get; private set; }

        public long WakeAt { get; set; } = long.MaxValue;

        public void Start(ICoapTransportSink sink) => Sink = sink;

        public void Send(IPEndPoint destination, ReadOnlySpan<byte> datagram) => network.Transmit(this, destination, datagram);

        public void ScheduleWake(long atMs) => network.Wake(this, atMs);

        public void Dispose()
        {
            lock (network._gate)
            {
                network._nodes.Remove(LocalEndPoint);
                Sink = null;
            }
        }
    }
}
