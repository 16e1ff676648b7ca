#nullable disable
using System;
using System.Collections.Generic;

using CsCheck;

using PopIoT.Core.Ace;
using PopIoT.Core.Cbor;
using PopIoT.Core.Coap;
using PopIoT.Core.Device;
using PopIoT.Core.Dtls;
using PopIoT.Core.Tests.Device;

using Xunit;

namespace PopIoT.Core.Tests.Ace;

/// <summary>
/// /authz-info takes the token itself as application/cwt (61; RFC 9200 §5.10.1: the Content-Format "MUST reflect the
/// format of the token, e.g., application/cwt"), the way RFC 9202 §3.3 posts a coap_dtls token, beside the
/// application/ace+cbor map (19). A coap_oscore token needs nonce1 and ace_client_recipientid, which only the map
/// carries (RFC 9203 §4.1: "The client MUST use the Content-Format application/ace+cbor"): as application/cwt it is
/// refused with 4.00 AceCborRequired, and an RS that serves OSCORE only answers application/cwt with 4.15. Any other
/// Content-Format is 4.15.
/// </summary>
public class AuthzInfoCwtTests
{
    private static DeviceRuntimeRig Rig(bool dtls = true, bool oscore = true)
    {
        var ace = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri)
        {
            ServesDtls = dtls,
            ServesOscore = oscore,
            AuthzInfoPeerBurst = 0,
            AuthzInfoBurst = 0,
        };
        var settings = new DeviceRuntimeSettings
        {
            Ace = ace,
            Dtls = dtls ? new DtlsSettings { MaxSessions = 2, MaxHandshakes = 1, MaxIdentityLength = 512, DatagramSize = 1232 } : null,
        };
        var rig = new DeviceRuntimeRig(settings);
        if (dtls)
        {
            rig.Runtime.Engine.SetDtlsKeyDerivationKey(AceDtlsSupport.DerivationKey());
        }

        Assert.True(rig.Runtime.Start());
        return rig;
    }

    private static CoapMessage PostCwt(DeviceRuntimeRig rig, int client, byte[] payload, uint format = CoapContentFormat.Cwt) =>
        rig.Request(client, CoapCode.Post, "/authz-info", payload, m => m.AddUintOption(CoapOptionNumber.ContentFormat, format));

    private static string Reason(CoapMessage m)
    {
        var r = new CborReader(m.PayloadBuffer, m.PayloadOffset, m.PayloadLength);
        int n = r.ReadStartMap();
        for (int i = 0; i < n; i++)
        {
            if (r.ReadInt32() == AceParameters.ErrorDescription)
            {
                return r.ReadTextString();
            }

            r.SkipValue();
        }

        return null;
    }

    [Theory]
    [InlineData("encrypt0-key")]
    [InlineData("mac0-enckey")]
    [InlineData("mac0-kid")]
    public void A_coap_dtls_token_posted_as_application_cwt_is_stored_and_its_kid_identity_handshakes(string form)
    {
        var rig = Rig();
        var spec = new DtlsTokenSpec { Form = form };
        byte[] token = AceDtlsSupport.Mint(spec);

        // RFC 9202 §3.3.1: 2.01 with no payload.
        CoapMessage posted = PostCwt(rig, 2, token);
        Assert.Equal(CoapCode.Created, posted.Code);
        Assert.Equal(0, posted.PayloadLength);

        // The same token again, now in the ace+cbor map, is the same token (RFC 9200 §5.10.1).
        CoapMessage again = rig.Request(2, CoapCode.Post, "/authz-info", AuthzInfoRequest.Encode(token, null, null), m => m.AddUintOption(CoapOptionNumber.ContentFormat, CoapContentFormat.AceCbor));
        Assert.Equal(CoapCode.Created, again.Code);
        Assert.Equal(1, rig.Runtime.Engine.ActiveSlots);

        byte[] psk = form == "mac0-kid" ? AceDtlsSupport.DerivePsk(token) : spec.Psk;
        var client = new DtlsRuntimeClient(rig, 3);
        Assert.True(client.Connect(AceDtlsSupport.Rfc9202Identity, psk));
        Assert.Equal(CoapCode.Content, client.Send(CoapCode.Get, "/temp").Code);
    }

    [Fact]
    public void An_application_cwt_post_over_the_session_updates_its_rights()
    {
        var rig = Rig();
        var spec = new DtlsTokenSpec { Scope = "read" };
        var client = new DtlsRuntimeClient(rig, 3);
        Assert.True(client.Connect(AceDtlsSupport.Mint(spec), spec.Psk));
        Assert.Equal(CoapCode.MethodNotAllowed, client.Send(CoapCode.Put, "/led", "on"u8.ToArray()).Code);

        // RFC 9202 §3.4: a new token for the same key, posted over the session, updates its rights.
        byte[] wider = AceDtlsSupport.Mint(new DtlsTokenSpec { Scope = "read write", Cti = [7] });
        CoapMessage update = client.Send(CoapCode.Post, "/authz-info", wider, m => m.AddUintOption(CoapOptionNumber.ContentFormat, CoapContentFormat.Cwt));
        Assert.Equal(CoapCode.Created, update.Code);
        Assert.Equal(CoapCode.Changed, client.Send(CoapCode.Put, "/led", "on"u8.ToArray()).Code);
    }

    [Fact]
    public void A_coap_oscore_token_as_application_cwt_gets_4_00_ace_cbor_required_and_stores_nothing()
    {
        var rig = Rig();
        byte[] token = AceTestSupport.Mint(new TokenSpec());

        CoapMessage r = PostCwt(rig, 2, token);
        Assert.Equal(CoapCode.BadRequest, r.Code);
        Assert.Equal("AceCborRequired", Reason(r));
        Assert.Equal(0, rig.Runtime.Engine.ActiveSlots);

        // The same token in the RFC 9203 §4.1 map with its nonces is taken.
        CoapMessage ok = rig.Request(2, CoapCode.Post, "/authz-info", AuthzInfoRequest.Encode(token, [1, 2, 3, 4, 5, 6, 7, 8], [0x41]), m => m.AddUintOption(CoapOptionNumber.ContentFormat, CoapContentFormat.AceCbor));
        Assert.Equal(CoapCode.Created, ok.Code);
        Assert.Equal(1, rig.Runtime.Engine.ActiveSlots);
    }

    [Fact]
    public void An_rs_serving_oscore_only_answers_application_cwt_with_4_15()
    {
        var rig = Rig(dtls: false);
        CoapMessage r = PostCwt(rig, 2, AceTestSupport.Mint(new TokenSpec()));

        Assert.Equal(CoapCode.UnsupportedContentFormat, r.Code);
        Assert.Equal("UnsupportedContentFormat", Reason(r));
        Assert.Equal(0, rig.Runtime.Engine.ActiveSlots);
    }

    [Theory]
    [InlineData(0u)]     // text/plain
    [InlineData(42u)]    // application/octet-stream
    [InlineData(60u)]    // application/cbor
    [InlineData(62u)]    // application/cwt + 1
    [InlineData(65000u)]
    public void Any_other_content_format_is_4_15(uint format)
    {
        var rig = Rig();
        CoapMessage r = PostCwt(rig, 2, AceDtlsSupport.Mint(new DtlsTokenSpec()), format);

        Assert.Equal(CoapCode.UnsupportedContentFormat, r.Code);
        Assert.Equal(0, rig.Runtime.Engine.ActiveSlots);
    }

    [Fact]
    public void A_tampered_an_other_audience_an_expired_and_an_empty_application_cwt_are_refused()
    {
        var rig = Rig();
        byte[] token = AceDtlsSupport.Mint(new DtlsTokenSpec());
        byte[] tampered = (byte[])token.Clone();
        tampered[^3] ^= 0x01;

        Assert.Equal(CoapCode.Unauthorized, PostCwt(rig, 2, tampered).Code);
        Assert.Equal(CoapCode.Forbidden, PostCwt(rig, 2, AceDtlsSupport.Mint(new DtlsTokenSpec { Audience = "coap://other" })).Code);
        Assert.Equal(CoapCode.Unauthorized, PostCwt(rig, 2, AceDtlsSupport.Mint(new DtlsTokenSpec { Exp = AceTestSupport.Start - 10 })).Code);
        CoapMessage empty = PostCwt(rig, 2, null);
        Assert.Equal(CoapCode.BadRequest, empty.Code);
        Assert.Equal("MissingAccessToken", Reason(empty));

        // The ace+cbor map is not a CWT: as application/cwt it is a token that does not verify (no COSE message).
        CoapMessage map = PostCwt(rig, 2, AuthzInfoRequest.Encode(token, null, null));
        Assert.Equal(CoapCode.Unauthorized, map.Code);
        Assert.NotNull(Reason(map));
        Assert.Equal(0, rig.Runtime.Engine.ActiveSlots);
    }

    [Fact]
    public void Random_and_mutated_application_cwt_bodies_get_a_defined_error_or_are_the_same_token()
    {
        var rig = Rig();
        byte[] token = AceDtlsSupport.Mint(new DtlsTokenSpec());
        var allowed = new HashSet<byte> { CoapCode.BadRequest, CoapCode.Unauthorized, CoapCode.Forbidden, CoapCode.RequestEntityTooLarge };
        Gen.OneOf(
            Gen.Byte.Array[1, 600],
            Gen.Select(Gen.Int[0, token.Length - 1], Gen.Byte.Where(b => b != 0)).Array[1, 3].Select(edits =>
            {
                byte[] m = (byte[])token.Clone();
                foreach ((int at, byte x) in edits)
                {
                    m[at] ^= x;
                }

                return m;
            })).Sample(body =>
            {
                CoapMessage r = PostCwt(rig, 2, body);
                if (r.Code == CoapCode.Created)
                {
                    // A byte outside the token's protection (a tag, the unprotected header) leaves the same claims: the
                    // same token (RFC 9200 §5.10.1.1), never a second one.
                    Assert.Equal(1, rig.Runtime.Engine.ActiveSlots);
                    Assert.Equal(CoapCode.Created, PostCwt(rig, 2, token).Code);
                    Assert.Equal(1, rig.Runtime.Engine.ActiveSlots);
                }
                else
                {
                    Assert.Contains(r.Code, allowed);
                    Assert.NotNull(Reason(r));
                    Assert.True(rig.Runtime.Engine.ActiveSlots <= 1);
                }
            }, iter: 600, threads: 1);
    }

    [Fact]
    public void Posting_application_cwt_allocates_nothing_after_warm_up()
    {
        var rig = Rig();
        byte[] token = AceDtlsSupport.Mint(new DtlsTokenSpec());
        Assert.Equal(CoapCode.Created, PostCwt(rig, 2, token).Code);
        byte[] forged = (byte[])token.Clone();
        forged[^3] ^= 0x01;
        byte[] oscoreToken = AceTestSupport.Mint(new TokenSpec());
        const int Count = 300;
        var datagrams = new byte[Count][];
        var expected = new byte[Count];
        for (int i = 0; i < Count; i++)
        {
            (byte[] body, uint cf, byte code) = (i % 4) switch
            {
                0 => (token, (uint)CoapContentFormat.Cwt, CoapCode.Created), // the stored token again: idempotent
                1 => (forged, (uint)CoapContentFormat.Cwt, CoapCode.Unauthorized),
                2 => (oscoreToken, (uint)CoapContentFormat.Cwt, CoapCode.BadRequest),
                _ => (token, 0u, CoapCode.UnsupportedContentFormat),
            };
            CoapMessage m = rig.NewRequest(CoapCode.Post, "/authz-info", body);
            m.AddUintOption(CoapOptionNumber.ContentFormat, cf);
            datagrams[i] = AceTestSupport.Serialize(m);
            expected[i] = code;
        }

        void Run(int i)
        {
            int sent = rig.Socket.SentCount;
            rig.Socket.Enqueue(2, datagrams[i]);
            rig.Runtime.RunOnce();
            if (rig.Socket.SentCount != sent + 1 || rig.Socket.LastSentCode != expected[i])
            {
                throw new InvalidOperationException("unexpected answer to post " + i);
            }
        }

        for (int i = 0; i < 100; i++)
        {
            Run(i);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 100; i < Count; i++)
        {
            Run(i);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
