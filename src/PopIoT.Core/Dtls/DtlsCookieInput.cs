namespace PopIoT.Core.Dtls;

/// <summary>
/// What a HelloVerifyRequest cookie covers (RFC 6347 §4.2.1): the client's address bytes (or, without them, its peer
/// index) and the ClientHello before and after its cookie field. A plain struct of ranges into the received datagram.
/// </summary>
internal struct DtlsCookieInput
{
    internal ByteRange Address;
    internal int Peer;
    internal ByteRange BeforeCookie;
    internal ByteRange AfterCookie;
}
