using System;

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;

namespace PopIoT.Benchmarks;

/// <summary>
/// The CoAP codec and message layer: parse and serialize of a typical request (CON GET, 4-byte token, Uri-Path
/// "sensors"/"temp"), and a full in-memory request and piggybacked response through two <see cref="MessageLayer"/>s
/// (client send, server receive + route + reply, client receive + match). The baseline of each group is copying the
/// request datagram, the floor any processing of it costs.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class CoapBenchmarks
{
    private readonly byte[] _datagram = Convert.FromHexString("44011234a1b2c3d4b773656e736f72730474656d70");
    private readonly byte[] _wire = new byte[1152];
    private readonly byte[] _copy = new byte[64];
    private readonly CoapMessage _parsed = new();
    private readonly CoapMessage _request = new();
    private readonly CoapMessage _get = new();
    private readonly byte[] _sensors = "sensors"u8.ToArray();
    private readonly byte[] _temp = "temp"u8.ToArray();
    private readonly byte[] _token = [0xa1, 0xb2, 0xc3, 0xd4];
    private readonly Listener _listener = new();
    private MessageLayer _client = null!;
    private MessageLayer _server = null!;
    private long _now;

    /// <summary>Builds the request to serialize and the two endpoints.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _request.Type = CoapMessageType.Confirmable;
        _request.Code = CoapCode.Get;
        _request.MessageId = 0x1234;
        _request.SetToken(_token, 0, 4);
        _request.AddOption(CoapOptionNumber.UriPath, _sensors, 0, _sensors.Length);
        _request.AddOption(CoapOptionNumber.UriPath, _temp, 0, _temp.Length);
        if (_request.Serialize(_wire, 0, _wire.Length) != _datagram.Length)
        {
            throw new InvalidOperationException("unexpected encoding");
        }

        var table = new ResourceTable(4, 256);
        table.Add(new CoapResource("/sensors/temp", CoapMethods.Get, new Temperature()));
        _client = new MessageLayer(new CoapSettings(), new XorShiftRandom(1), null, _listener);
        _server = new MessageLayer(new CoapSettings(), new XorShiftRandom(2), table, null);
    }

    /// <summary>Copies the datagram: the floor.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Parse")]
    public int Parse_Baseline_Copy()
    {
        Array.Copy(_datagram, _copy, _datagram.Length);
        return _copy[0];
    }

    /// <summary>Parses the GET into a reused message (options reference the datagram).</summary>
    [Benchmark]
    [BenchmarkCategory("Parse")]
    public CoapParseError Parse() => _parsed.Parse(_datagram, 0, _datagram.Length);

    /// <summary>Copies the datagram: the floor.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Serialize")]
    public int Serialize_Baseline_Copy()
    {
        Array.Copy(_datagram, _copy, _datagram.Length);
        return _copy[0];
    }

    /// <summary>Serializes the GET into a caller buffer.</summary>
    [Benchmark]
    [BenchmarkCategory("Serialize")]
    public int Serialize() => _request.Serialize(_wire, 0, _wire.Length);

    /// <summary>Copies the datagram: the floor.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("RoundTrip")]
    public int RoundTrip_Baseline_Copy()
    {
        Array.Copy(_datagram, _copy, _datagram.Length);
        return _copy[0];
    }

    /// <summary>
    /// Client SendRequest (MID, random token, serialize, retransmission state), server Receive (parse, dedup, route,
    /// handler, serialize piggybacked ACK), client Receive (match by MID and token, listener). Time jumps past
    /// EXCHANGE_LIFETIME per call so the duplicate caches never fill.
    /// </summary>
    [Benchmark]
    [BenchmarkCategory("RoundTrip")]
    public int RoundTrip()
    {
        _now += 300_000;
        _get.Reset();
        _get.Code = CoapCode.Get;
        _get.AddOption(CoapOptionNumber.UriPath, _sensors, 0, _sensors.Length);
        _get.AddOption(CoapOptionNumber.UriPath, _temp, 0, _temp.Length);
        _client.SendRequest(0, _get, _now, out _);
        _client.TryTakeOutgoing(_wire, 0, out int n, out _);
        _server.Receive(_wire, 0, n, 1, _now);
        _server.TryTakeOutgoing(_wire, 0, out n, out _);
        _client.Receive(_wire, 0, n, 0, _now);
        return _listener.Count;
    }

    private sealed class Temperature : ICoapRequestHandler
    {
        private readonly byte[] _value = "22.3 C"u8.ToArray();

        public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
        {
            response.Code = CoapCode.Content;
            response.SetPayload(_value, 0, _value.Length);
            return CoapHandlerResult.Respond;
        }
    }

    private sealed class Listener : ICoapExchangeListener
    {
        public int Count { get; private set; }

        public void OnResponse(int exchange, int peer, CoapMessage response) => Count++;

        public void OnFailed(int exchange, int peer, byte[] token, int tokenOffset, int tokenLength, CoapExchangeFailure reason)
        {
        }
    }

    // Benchmarks only: a fast deterministic generator, never for keys.
    private sealed class XorShiftRandom(ulong seed) : IRandomSource
    {
        private ulong _state = seed * 0x9E3779B97F4A7C15UL;

        public void GetBytes(byte[] buffer, int offset, int count)
        {
            for (int i = 0; i < count; i++)
            {
                _state ^= _state << 13;
                _state ^= _state >> 7;
                _state ^= _state << 17;
                buffer[offset + i] = (byte)_state;
            }
        }
    }
}
