using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using PopIoT.Ace;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Coap;
using PopIoT.Core;
using PopIoT.Core.Ace;
using PopIoT.Core.Cbor;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Core.Cwt;
using PopIoT.Core.Dtls;
using PopIoT.Cose;
using PopIoT.Crypto;
using PopIoT.Device;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// A coap_dtls resource server for the gateway's tests, built from Core pieces so that the gateway is tested on its
/// own, apart from the device's RS: Core's <see cref="CwtValidator"/> takes tokens at /authz-info (plain CoAP, port P)
/// and from the psk_identity, the PSK comes from the token's cnf or from <see cref="AccessTokenMinter.DerivePsk"/>, and
/// Core's DTLS engine (through <see cref="DtlsCoapTransport"/>) serves coaps:// on port P + 1. It counts identities
/// accepted, tokens and updates, and can forget its keys (a reboot) so that requests on the old session get 4.01.
/// </summary>
internal sealed class TestDtlsResourceServer : IDtlsPskStore, IDisposable
{
    private readonly ResourceServerRecord _rs;
    private readonly string _asUri;
    private readonly IReadOnlyList<CoseKey> _keys;
    private readonly AsKeySelection _selection;
    private readonly ConcurrentDictionary<string, byte[]> _psks = new(StringComparer.Ordinal);
    private CoapServer _plain = new();
    private readonly CoapServer _secure = new();
    private int _identitiesAccepted;
    private int _posted;
    private int _updates;
    private volatile bool _forgot;

    public TestDtlsResourceServer(ResourceServerRecord rs, string asUri)
    {
        _rs = rs;
        _asUri = asUri;
        Assert.Equal(CoseError.None, CoseKeySet.Decode(AuthorizationServerRegistry.KeysForResourceServer(rs), out _keys));
        _selection = AsKeyPurposes.Select(_keys, rs.Protection);
        _plain.Map("/authz-info", CoapMethods.Post, (req, _) => ValueTask.FromResult(TakeToken(req.Payload.ToArray(), false)));
        _plain.Map("/temp", CoapMethods.Get, (_, _) => ValueTask.FromResult(Hints()));
        _secure.Map("/authz-info", CoapMethods.Post, (req, _) => ValueTask.FromResult(TakeToken(req.Payload.ToArray(), true)));
        _secure.Map("/temp", CoapMethods.Get, (_, _) => ValueTask.FromResult(_forgot
            ? Hints()
            : new CoapResponse(CoapCode.Content, "21.5"u8.ToArray(), CoapContentFormat.TextPlain)));

        // coaps on the next port, as the client's default (RFC 7252 §6.1, §6.2: 5683 and 5684).
        for (int attempt = 0; ; attempt++)
        {
            IPEndPoint plainAt = _plain.Start(new IPEndPoint(IPAddress.Loopback, 0));
            try
            {
                var udp = new UdpCoapTransport(new IPEndPoint(IPAddress.Loopback, plainAt.Port + 1));
                _secure.Start(new DtlsCoapTransport(udp, new DtlsCoapTransportOptions { PskStore = this, Settings = LongIdentities() }));
                Plain = new Uri("coap://127.0.0.1:" + plainAt.Port);
                Secure = new Uri("coaps://127.0.0.1:" + (plainAt.Port + 1));
                return;
            }
            catch (SocketException) when (attempt < 20)
            {
                _plain.Dispose();
                _plain = new CoapServer();
                _plain.Map("/authz-info", CoapMethods.Post, (req, _) => ValueTask.FromResult(TakeToken(req.Payload.ToArray(), false)));
                _plain.Map("/temp", CoapMethods.Get, (_, _) => ValueTask.FromResult(Hints()));
            }
        }
    }

    public Uri Plain { get; }

    public Uri Secure { get; }

    public int IdentitiesAccepted => Volatile.Read(ref _identitiesAccepted);

    public int TokensPosted => Volatile.Read(ref _posted);

    public int Updates => Volatile.Read(ref _updates);

    /// <summary>Drops every key, as after a reboot: requests on old sessions get 4.01 until a new handshake.</summary>
    public void Forget()
    {
        _psks.Clear();
        _forgot = true;
    }

    // IDtlsPskStore: RFC 9202 §3.3, the kid form or the token itself; anything else is illegal_parameter.
    public int FindKey(int peer, ByteRange identity, ByteRange key)
    {
        byte[] id = identity.Buffer.AsSpan(identity.Offset, identity.Count).ToArray();
        byte[]? psk = KidOf(id) is byte[] kid ? (_psks.TryGetValue(Convert.ToHexString(kid), out byte[]? known) ? known : null) : Validate(id, out _);
        if (psk == null)
        {
            return -DtlsAlert.IllegalParameter;
        }

        Interlocked.Increment(ref _identitiesAccepted);
        _forgot = false;
        psk.CopyTo(key.Buffer, key.Offset);
        return psk.Length;
    }

    public void Dispose()
    {
        _secure.Dispose();
        _plain.Dispose();
        foreach (CoseKey k in _keys)
        {
            k.Dispose();
        }
    }

    // { 8: { 1: { 1: 4, 2: kid } } } → kid; null for anything else.
    private static byte[]? KidOf(byte[] identity)
    {
        try
        {
            var r = new CborReader(identity);
            if (r.PeekState() != CborReaderState.StartMap || r.ReadStartMap() != 1 || r.ReadInt64() != CwtClaimKey.Cnf || r.ReadStartMap() != 1 || r.ReadInt64() != 1)
            {
                return null;
            }

            byte[]? kid = null;
            int n = r.ReadStartMap();
            for (int i = 0; i < n; i++)
            {
                long label = r.ReadInt64();
                if (label == CoseKeyLabel.Kid)
                {
                    kid = r.ReadByteString();
                }
                else
                {
                    r.SkipValue();
                }
            }

            return kid;
        }
        catch (CborException)
        {
            return null;
        }
    }

    // The project's /authz-info body, { 1 access_token: bstr } (AuthzInfoRequest), for both profiles.
    private CoapResponse TakeToken(byte[] body, bool overSession)
    {
        byte[] token;
        try
        {
            var r = new CborReader(body);
            if (r.ReadStartMap() != 1 || r.ReadInt64() != AceParameters.AccessToken)
            {
                return new CoapResponse(CoapCode.BadRequest);
            }

            token = r.ReadByteString();
        }
        catch (CborException)
        {
            return new CoapResponse(CoapCode.BadRequest);
        }

        byte[]? psk = Validate(token, out byte[]? kid);
        if (kid == null)
        {
            return new CoapResponse(CoapCode.Unauthorized);
        }

        if (psk == null)
        {
            // cnf { kid }: an update of access rights, only over a session with that key (RFC 9202 §4).
            if (!overSession || !_psks.ContainsKey(Convert.ToHexString(kid)))
            {
                return new CoapResponse(CoapCode.Unauthorized);
            }

            Interlocked.Increment(ref _updates);
            return new CoapResponse(CoapCode.Created);
        }

        _psks[Convert.ToHexString(kid)] = psk;
        Interlocked.Increment(ref _posted);
        return new CoapResponse(CoapCode.Created);
    }

    // The token intake's checks with Core's validator; the PSK from cnf, or derived for a kid-only COSE_Key.
    private byte[]? Validate(byte[] token, out byte[]? kid)
    {
        kid = null;

        using var validator = new CwtValidator(PlatformCryptoProvider.Instance, new TestClock(), _rs.Audience);
        validator.TokenProtection = AsKeyPurposes.CoseTagOf(_rs.Protection);
        if (_rs.Protection == TokenProtection.Mac0)
        {
            validator.SetMac0Key(_selection.TokenKey);
            validator.SetCnfDecryptionKey(_selection.CnfKey!);
        }
        else
        {
            validator.SetEncrypt0Key(_selection.TokenKey);
        }

        using CwtValidationResult v = validator.Validate(token);
        if (!v.IsValid || v.Claims.AceProfile != AceProfile.CoapDtls)
        {
            return null;
        }

        CwtConfirmation c = v.Confirmation;
        kid = c.KidLength > 0 ? c.Buffer.AsSpan(c.KidOffset, c.KidLength).ToArray() : null;
        if (c.SymmetricKeyLength > 0)
        {
            byte[] psk = new byte[c.SymmetricKeyLength];
            c.CopySymmetricKey(psk, 0);
            return psk;
        }

        // cnf { kid } (RFC 8747 §3.4): a kid this RS holds is an update (RFC 9202 §4); a new one, with a derivation key,
        // names a PSK derived from the token (§3.3).
        bool held = kid != null && _psks.ContainsKey(Convert.ToHexString(kid));
        return c.Method == CnfMethod.Kid && !held && _selection.DerivationKey != null ? AccessTokenMinter.DerivePsk(_selection.DerivationKey, token) : null;
    }

    private CoapResponse Hints()
    {
        byte[] buffer = new byte[256];
        var w = new CborWriter(buffer);
        AsCreationHints.Encode(_asUri, _rs.Audience, null!, 0, 0, w);
        return new CoapResponse(CoapCode.Unauthorized, buffer.AsSpan(0, w.BytesWritten).ToArray(), CoapContentFormat.AceCbor);
    }

    // The token itself may be the psk_identity (RFC 9202 §3.3.2), as long as a device's largest token.
    private static PopIoT.Core.Dtls.DtlsSettings LongIdentities()
    {
        PopIoT.Core.Dtls.DtlsSettings s = DtlsCoapTransportOptions.ForHost();
        s.MaxIdentityLength = 1024;
        return s;
    }
}
