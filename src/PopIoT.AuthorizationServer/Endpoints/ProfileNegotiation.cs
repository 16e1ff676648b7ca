using PopIoT.Ace;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Core.Ace;
using PopIoT.Core.Cbor;

namespace PopIoT.AuthorizationServer.Endpoints;

/// <summary>
/// Picks the ACE profile of a token (RFC 9200 §5.8.4.3): the one the request's ace_profile names, or else the client's
/// registered profiles in its order of preference, that the RS supports too and this AS issues. A client public key in
/// req_cnf needs coap_dtls (RFC 9202 §3.2.1); an update of access rights keeps the profile of the token it updates. No
/// common profile is incompatible_ace_profiles (RFC 9200 §5.8.3).
/// </summary>
internal static class ProfileNegotiation
{
    /// <summary>The profiles this AS issues.</summary>
    public static readonly int[] Issued = [AceProfile.CoapOscore, AceProfile.CoapDtls];

    /// <summary>Chooses the profile.</summary>
    /// <param name="map">The token request.</param>
    /// <param name="client">The client's registered profiles, most preferred first.</param>
    /// <param name="rs">The resource server.</param>
    /// <param name="pop">The request's req_cnf.</param>
    /// <param name="updated">The token whose PoP key req_cnf's kid names, or null.</param>
    /// <param name="profile">The profile chosen.</param>
    /// <returns>The refusal, or null.</returns>
    public static AceResponse? Choose(AceRequestMap map, int[] client, ResourceServerRecord rs, PopKeyRequest pop, IssuedTokenRecord? updated, out int profile)
    {
        profile = 0;
        int? requested = null;
        CborReaderState type = map.TypeOf(AceParameters.AceProfile);
        if (type is CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger)
        {
            map.TryGetEncoded(AceParameters.AceProfile, out int o, out int n);
            requested = (int)Math.Clamp(new CborReader(map.Body, o, n).ReadInt64(), int.MinValue, int.MaxValue);
        }
        else if (type is not (CborReaderState.Finished or CborReaderState.Null))
        {
            // RFC 9200 §5.8.4.3: null asks the AS to say which profile; an integer names the one the client wants.
            return AceResponse.Failure(AceErrorCode.InvalidRequest, "ace_profile (38) must be an integer or null (RFC 9200 §5.8.4.3)");
        }

        int[] candidates = requested is int r ? [r] : client;
        int[] common = candidates.Where(p => Array.IndexOf(rs.Profiles, p) >= 0 && Array.IndexOf(Issued, p) >= 0).ToArray();
        if (pop.HasCoseKey)
        {
            if (common.Contains(AceProfile.CoapDtls))
            {
                profile = AceProfile.CoapDtls;
                return null;
            }

            if (common.Length > 0)
            {
                return AceResponse.Failure(
                    AceErrorCode.UnsupportedPopKey,
                    "req_cnf method 1 is not supported with " + AceProfileNames.Name(common[0]) + ": the AS makes the OSCORE_Input_Material (RFC 9203 §3.2); a client's public key needs coap_dtls (RFC 9202 §3.2.1), which "
                    + (requested != null ? "the request did not ask for" : "is not shared by client and resource server '" + rs.Audience + "'"));
            }
        }

        if (updated != null)
        {
            // RFC 9202 §4, RFC 9203 §3.1: the new token binds the same key, so it keeps that token's profile.
            if (!common.Contains(updated.Profile))
            {
                return Incompatible(requested, client, rs, " (req_cnf names a " + AceProfileNames.Name(updated.Profile) + " key)");
            }

            profile = updated.Profile;
            return null;
        }

        if (common.Length == 0)
        {
            return Incompatible(requested, client, rs, string.Empty);
        }

        profile = common[0];
        return null;
    }

    private static AceResponse Incompatible(int? requested, int[] client, ResourceServerRecord rs, string why) => AceResponse.Failure(
        AceErrorCode.IncompatibleAceProfiles,
        (requested is int r ? "ace_profile " + AceProfileNames.Name(r) + " is not shared: " : "no profile is shared: the client speaks " + Names(client) + ", ")
        + "resource server '" + rs.Audience + "' supports " + Names(rs.Profiles) + " and this AS issues " + Names(Issued) + why);

    private static string Names(int[] profiles) => string.Join(", ", profiles.Select(AceProfileNames.Name));
}
