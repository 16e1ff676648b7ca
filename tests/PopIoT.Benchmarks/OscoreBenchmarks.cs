using System;
using System.Security.Cryptography;

using BenchmarkDotNet.Attributes;

using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;
using PopIoT.Crypto;

namespace PopIoT.Benchmarks;

/// <summary>
/// Server-side processing of one OSCORE-protected GET (RFC 8613 §8.2 + §8.3): parse the datagram, find the context,
/// replay check, decrypt, rebuild the request, then protect a 2.05 response with a 13-byte payload and serialize it.
/// The floor (Baseline) is raw platform AES-CCM (System.Security.Cryptography.AesCcm, 8-byte tag) decrypting the same
/// request ciphertext and encrypting the same response plaintext with the same AADs (DESIGN.md §8: within 2×).
/// The replay window is reset before each request so the same datagram can be processed again; the check still runs.
/// Run: <c>dotnet run -c Release --project tests/PopIoT.Benchmarks -- --filter '*Oscore*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class OscoreBenchmarks
{
    private static readonly byte[] Secret = Convert.FromHexString("0102030405060708090a0b0c0d0e0f10");
    private static readonly byte[] Salt = Convert.FromHexString("9e7ca92223786340");

    private readonly byte[] _body = "Hello World!!"u8.ToArray();
    private readonly byte[] _wire = new byte[512];
    private readonly CoapMessage _request = new();
    private readonly CoapMessage _response = new();
    private readonly OscoreExchange _exchange = new();
    private byte[] _datagram = Array.Empty<byte>();
    private Server _platform = null!;
    private Server _managed = null!;

    // The raw floor's inputs: the same ciphertexts, plaintexts, nonces and AADs.
    private System.Security.Cryptography.AesCcm _rawRecipient = null!;
    private System.Security.Cryptography.AesCcm _rawSender = null!;
    private byte[] _reqNonce = Array.Empty<byte>();
    private byte[] _reqCipher = Array.Empty<byte>();
    private byte[] _reqTag = Array.Empty<byte>();
    private byte[] _aad = Array.Empty<byte>();
    private byte[] _reqPlain = Array.Empty<byte>();
    private byte[] _respPlain = Array.Empty<byte>();
    private byte[] _respCipher = Array.Empty<byte>();
    private readonly byte[] _respTag = new byte[8];

    private sealed class Server
    {
        public Server(ICryptoProvider provider)
        {
            Context = new SecurityContext(provider, Secret, Salt, [0x01], [], null);
            Table = new OscoreContextTable(8);
            Table.Add(Context);
            Window = Context.ReplayWindow;
        }

        public SecurityContext Context { get; }

        // A view of the context's window, taken once (each ReplayWindow call makes one).
        public ReplayWindow Window { get; }

        public OscoreContextTable Table { get; }

        public OscoreProcessor Processor { get; } = new();
    }

    /// <summary>Builds the C.4-style protected GET with a 2-byte token and the raw AES-CCM inputs.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var client = new SecurityContext(new ManagedCryptoProvider(PlatformRandomSource.Instance), Secret, Salt, [], [0x01], null);
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get, MessageId = 0x5d1f };
        m.SetToken([0x39, 0x74], 0, 2);
        m.AddStringOption(CoapOptionNumber.UriHost, "localhost");
        m.AddUriPath("/sensors/temp");
        var cp = new OscoreProcessor();
        if (cp.ProtectRequest(m, client, false, new OscoreExchange()) != OscoreStatus.Ok)
        {
            throw new InvalidOperationException("protect failed");
        }

        _datagram = new byte[m.GetSerializedLength()];
        m.Serialize(_datagram, 0, _datagram.Length);
        _platform = new Server(PlatformCryptoProvider.Instance);
        _managed = new Server(new ManagedCryptoProvider(PlatformRandomSource.Instance));

        // Raw floor: the C.1 keys, the request's nonce (Sender ID empty, PIV 0) and AAD (RFC 8613 §5.2, §5.4).
        byte[] senderKey = Convert.FromHexString("f0910ed7295e6ad4b54fc793154302ff");
        byte[] recipientKey = Convert.FromHexString("ffb14e093c94c9cac9471648b4f98710");
        _rawRecipient = new System.Security.Cryptography.AesCcm(senderKey);
        _rawSender = new System.Security.Cryptography.AesCcm(recipientKey);
        _reqNonce = Convert.FromHexString("4622d4dd6d944168eefb54987c");
        // Enc_structure ["Encrypt0", h'', aad_array] with aad_array [1, [10], h'', h'00', h''].
        _aad = Convert.FromHexString("8368456e63727970743040488501810a40410040");
        m.Parse(_datagram, 0, _datagram.Length);
        int cl = m.PayloadLength - 8;
        _reqCipher = m.PayloadBuffer.AsSpan(m.PayloadOffset, cl).ToArray();
        _reqTag = m.PayloadBuffer.AsSpan(m.PayloadOffset + cl, 8).ToArray();
        _reqPlain = new byte[cl];
        _respPlain = new byte[1 + 1 + _body.Length];
        _respCipher = new byte[_respPlain.Length];
        _rawRecipient.Decrypt(_reqNonce, _reqCipher, _reqTag, _reqPlain, _aad);

        if (ServerPlatform() <= 0 || ServerManaged() <= 0)
        {
            throw new InvalidOperationException("server path failed");
        }
    }

    /// <summary>The floor: platform AES-CCM decrypt of the request and encrypt of the response, same sizes and AAD.</summary>
    [Benchmark(Baseline = true)]
    public int RawPlatformAesCcm()
    {
        _rawRecipient.Decrypt(_reqNonce, _reqCipher, _reqTag, _reqPlain, _aad);
        _rawSender.Encrypt(_reqNonce, _respPlain, _respCipher, _respTag, _aad);
        return _respCipher.Length;
    }

    /// <summary>The OSCORE server path with the platform provider (AES-CCM from System.Security.Cryptography).</summary>
    [Benchmark]
    public int ServerPlatform() => Process(_platform);

    /// <summary>The OSCORE server path with Core's managed AES-CCM (as on a board without native AES).</summary>
    [Benchmark]
    public int ServerManaged() => Process(_managed);

    private int Process(Server s)
    {
        s.Window.Reset();
        _request.Parse(_datagram, 0, _datagram.Length);
        if (s.Processor.UnprotectRequest(_request, s.Table, _exchange) != OscoreStatus.Ok)
        {
            return -1;
        }

        _response.Reset();
        _response.Type = CoapMessageType.Acknowledgement;
        _response.Code = CoapCode.Content;
        _response.MessageId = _request.MessageId;
        _response.CopyTokenFrom(_request);
        _response.SetPayload(_body, 0, _body.Length);
        if (s.Processor.ProtectResponse(_response, _exchange, false) != OscoreStatus.Ok)
        {
            return -2;
        }

        return _response.Serialize(_wire, 0, _wire.Length);
    }
}
