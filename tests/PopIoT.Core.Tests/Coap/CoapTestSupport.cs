using System;
using System.Collections.Generic;

using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;

namespace PopIoT.Core.Tests.Coap;

/// <summary>Hex helpers for CoAP tests.</summary>
internal static class Hex
{
    public static byte[] Parse(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static string Of(byte[] b, int offset, int count) => Convert.ToHexString(b, offset, count).ToLowerInvariant();

    public static string Ascii(string s) => Convert.ToHexString(System.Text.Encoding.ASCII.GetBytes(s)).ToLowerInvariant();
}

/// <summary>A random source that returns scripted bytes first, then zeros: Message IDs and jitter become predictable.</summary>
internal sealed class ScriptedRandomSource : IRandomSource
{
    private readonly Queue<byte> _bytes = new();

    public ScriptedRandomSource(params byte[] bytes)
    {
        foreach (byte b in bytes)
        {
            _bytes.Enqueue(b);
        }
    }

    public void Push(params byte[] bytes)
    {
        foreach (byte b in bytes)
        {
            _bytes.Enqueue(b);
        }
    }

    public void GetBytes(byte[] buffer, int offset, int count)
    {
        for (int i = 0; i < count; i++)
        {
            buffer[offset + i] = _bytes.Count > 0 ? _bytes.Dequeue() : (byte)0;
        }
    }
}

/// <summary>A listener that records what the layer reports.</summary>
internal sealed class RecordingListener : ICoapExchangeListener
{
    public List<(int Exchange, int Peer, byte Code, byte[] Payload, uint? Observe, CoapMessage Copy)> Responses { get; } = [];

    public List<(int Exchange, int Peer, byte[] Token, CoapExchangeFailure Reason)> Failures { get; } = [];

    public Action<int, CoapMessage>? OnResponseHook { get; set; }

    public void OnResponse(int exchange, int peer, CoapMessage response)
    {
        byte[] payload = response.PayloadLength == 0 ? [] : response.PayloadBuffer.AsSpan(response.PayloadOffset, response.PayloadLength).ToArray();
        uint? observe = response.TryGetUint(CoapOptionNumber.Observe, out uint v) ? v : null;
        Responses.Add((exchange, peer, response.Code, payload, observe, null!));
        OnResponseHook?.Invoke(exchange, response);
    }

    public void OnFailed(int exchange, int peer, byte[] token, int tokenOffset, int tokenLength, CoapExchangeFailure reason)
        => Failures.Add((exchange, peer, token.AsSpan(tokenOffset, tokenLength).ToArray(), reason));
}

/// <summary>A handler that answers with a fixed code and payload and counts its calls.</summary>
internal sealed class FixedHandler : ICoapRequestHandler
{
    private readonly byte[] _payload;

    public FixedHandler(byte code, string payload, CoapHandlerResult result = CoapHandlerResult.Respond)
    {
        Code = code;
        _payload = System.Text.Encoding.ASCII.GetBytes(payload);
        Result = result;
    }

    public byte Code { get; set; }

    public CoapHandlerResult Result { get; set; }

    public int Calls { get; private set; }

    public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
    {
        Calls++;
        response.Code = Code;
        response.SetPayload(_payload, 0, _payload.Length);
        return Result;
    }
}

/// <summary>
/// Two message layers joined by an in-memory link. The client sees the server as peer 0, the server sees the client as
/// peer 1. A drop filter can lose datagrams; every datagram that crossed is logged.
/// </summary>
internal sealed class CoapPair
{
    public const int ServerPeer = 0;
    public const int ClientPeer = 1;

    private readonly byte[] _buffer = new byte[2048];

    public CoapPair(ICoapRequestHandler handler, CoapSettings? settings = null, int seed = 1)
    {
        Listener = new RecordingListener();
        ServerListener = new RecordingListener();
        Client = new MessageLayer(settings ?? new CoapSettings(), new SeededRandomSource(seed), null, Listener);
        Server = new MessageLayer(settings ?? new CoapSettings(), new SeededRandomSource(seed + 1), handler, ServerListener);
    }

    public MessageLayer Client { get; }

    public MessageLayer Server { get; }

    public RecordingListener Listener { get; }

    public RecordingListener ServerListener { get; }

    public Func<bool, byte[], bool>? Drop { get; set; }

    public List<(bool ToServer, byte[] Datagram)> Log { get; } = [];

    /// <summary>Moves datagrams both ways until both outboxes are empty; returns how many moved.</summary>
    public int Pump(long now)
    {
        int moved = 0;
        bool any = true;
        while (any)
        {
            any = false;
            while (Client.TryTakeOutgoing(_buffer, 0, out int n, out int peer))
            {
                any = true;
                moved++;
                byte[] d = _buffer.AsSpan(0, n).ToArray();
                Log.Add((true, d));
                if (Drop == null || !Drop(true, d))
                {
                    Server.Receive(d, 0, n, ClientPeer, now);
                }
            }

            while (Server.TryTakeOutgoing(_buffer, 0, out int n, out int peer))
            {
                any = true;
                moved++;
                byte[] d = _buffer.AsSpan(0, n).ToArray();
                Log.Add((false, d));
                if (Drop == null || !Drop(false, d))
                {
                    Client.Receive(d, 0, n, ServerPeer, now);
                }
            }
        }

        return moved;
    }
}
