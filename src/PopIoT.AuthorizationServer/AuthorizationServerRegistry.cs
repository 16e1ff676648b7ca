using PopIoT.Core.Ace;
using PopIoT.Ace;
using PopIoT.Cose;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;

namespace PopIoT.AuthorizationServer;

/// <summary>
/// Registration: makes the secrets of new clients and resource servers (fresh random OSCORE contexts, RFC 9203 §5, and
/// AS–RS keys) and records them with policy in an <see cref="IAuthorizationStore"/>. Used by <c>popiot as</c> and tests.
/// </summary>
/// <param name="store">The store.</param>
/// <param name="random">The CSPRNG.</param>
public sealed class AuthorizationServerRegistry(IAuthorizationStore store, IRandomSource random)
{
    /// <summary>
    /// The default largest token an RS accepts, in bytes: the device's own default (<see cref="AceRsSettings.DefaultMaxTokenSize"/>),
    /// so an RS registered with the defaults is never sent a token its /authz-info refuses with 4.13.
    /// </summary>
    public const int DefaultMaxTokenBytes = AceRsSettings.DefaultMaxTokenSize;

    /// <summary>HMAC 256/64 (RFC 9053 §3.1): the AS–RS key algorithm for COSE_Mac0 tokens.</summary>
    public const int Mac0Algorithm = 4;

    /// <summary>AES-CCM-16-64-128 (RFC 9053 §4.2): the AS–RS key algorithm for COSE_Encrypt0 tokens (the default).</summary>
    public const int Encrypt0Algorithm = 10;

    /// <summary>The token algorithm of a sign1 RS: ES256 (RFC 9053 §2.1).</summary>
    public const int Sign1Algorithm = -7;

    private const int PeerIdLength = 3;

    /// <summary>Registers a client with a fresh OSCORE context.</summary>
    /// <param name="clientId">The client_id: 1..128 printable ASCII characters.</param>
    /// <param name="rekeying">Whether the client may re-key with the AS when it lost its sequence number (RFC 8613 Appendix B.2).</param>
    /// <param name="profiles">The ACE profiles the client speaks, most preferred first (RFC 9200 §5.8.4.3); null for coap_oscore.</param>
    /// <returns>The record (its credential goes into the client's ID.json).</returns>
    /// <exception cref="ArgumentException">A bad name or profile list.</exception>
    /// <exception cref="AuthorizationStoreException">The name is taken.</exception>
    public ClientRecord AddClient(string clientId, bool rekeying = true, int[]? profiles = null)
    {
        CheckName(clientId, "client id");
        profiles = CheckProfiles(profiles);
        var record = new ClientRecord(clientId, NewCredential(), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), rekeying, profiles);
        store.AddClient(record);
        return record;
    }

    /// <summary>Registers a resource server with a fresh AS–RS key (and an OSCORE context for introspection).</summary>
    /// <param name="audience">The audience: 1..128 printable ASCII characters.</param>
    /// <param name="protection">Encrypt0 (one AES-CCM-16-64-128 key, the default) or Mac0 (an HMAC 256/64 key for the token and an AES-CCM-16-64-128 key for the cnf, as a COSE_KeySet).</param>
    /// <param name="hasClock">False when the RS has no clock: its tokens carry exi.</param>
    /// <param name="maxTokenBytes">The largest token it accepts (64..65536).</param>
    /// <param name="dtls">The RS's DTLS settings (RFC 9202), or null for a coap_oscore RS.</param>
    /// <returns>The record; <see cref="ResourceServerRecord.CoseKey"/> is the key for the RS.</returns>
    /// <exception cref="ArgumentException">A bad name, size, profile list or public key.</exception>
    /// <exception cref="AuthorizationStoreException">The audience is taken.</exception>
    public ResourceServerRecord AddResourceServer(string audience, TokenProtection protection = TokenProtection.Encrypt0, bool hasClock = true, int maxTokenBytes = DefaultMaxTokenBytes, ResourceServerDtls? dtls = null)
    {
        CheckName(audience, "audience");
        if (maxTokenBytes is < 64 or > 65536)
        {
            throw new ArgumentException("the largest token must be 64..65536 bytes, not " + maxTokenBytes);
        }

        int[] profiles = CheckProfiles(dtls?.Profiles);
        bool speaksDtls = profiles.Contains(AceProfile.CoapDtls);
        if (!speaksDtls && dtls != null && (dtls.DerivePsk || dtls.RsPublicKey != null || dtls.DerivationKey != null))
        {
            throw new ArgumentException("a key derivation key and the RS's public key serve the coap_dtls profile only (RFC 9202); add it to the profiles");
        }

        byte[]? rsPublicKey = dtls?.RsPublicKey == null ? null : CheckRsPublicKey(dtls.RsPublicKey);

        // Encrypt0: one AES-CCM-16-64-128 key. Mac0: an HMAC 256/64 key for the token and an AES-CCM-16-64-128 key that
        // seals the OSCORE Master Secret in cnf (RFC 9203 §3.2, RFC 8747 §3.3), stored as a COSE_KeySet (RFC 9052 §7).
        // Each key has one purpose, stated in key_ops (RFC 9052 §7.1) from the AS's side: it creates tokens or wraps
        // the cnf key; KeysForResourceServer gives the RS the matching verify/decrypt/unwrap side.
        byte[] encoded;
        using (CoseKey aead = NewKey(16, Encrypt0Algorithm))
        {
            if (protection == TokenProtection.Mac0)
            {
                using CoseKey mac = NewKey(32, Mac0Algorithm);
                mac.SetKeyOperations([CoseKeyOperation.MacCreate]);
                aead.SetKeyOperations([CoseKeyOperation.WrapKey]);
                encoded = CoseKeySet.Encode([mac, aead]);
            }
            else if (protection == TokenProtection.Sign1)
            {
                // An ES256 key pair of the AS for this RS only (one key per RS, DESIGN.md §2): the RS gets the public half.
                using var ec = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
                System.Security.Cryptography.ECParameters ep = ec.ExportParameters(true);
                using CoseKey signing = CoseKey.Ec2P256(ep.Q.X!, ep.Q.Y!, ep.D!, Sign1Algorithm, Random(4));
                CryptoBytes.Clear(ep.D!);
                signing.SetKeyOperations([CoseKeyOperation.Sign]);
                aead.SetKeyOperations([CoseKeyOperation.WrapKey]);
                encoded = CoseKeySet.Encode([signing, aead]);
            }
            else
            {
                aead.SetKeyOperations([CoseKeyOperation.Encrypt]);
                encoded = aead.Encode();
            }
        }

        if (dtls?.DerivePsk == true || dtls?.DerivationKey != null)
        {
            // RFC 9202 §3.3: a separate key derivation key per AS–RS pair, whose one purpose is derive key (RFC 9052 §7.1).
            using CoseKey kdk = dtls.DerivationKey != null ? CheckDerivationKey(dtls.DerivationKey) : NewKey(32, 0);
            kdk.SetKeyOperations([CoseKeyOperation.DeriveKey]);
            CoseError e = CoseKeySet.Decode(encoded, out IReadOnlyList<CoseKey> existing);
            if (e != CoseError.None)
            {
                throw new InvalidOperationException("the new key set does not decode: " + e);
            }

            CryptoBytes.Clear(encoded);
            encoded = CoseKeySet.Encode([.. existing, kdk]);
            foreach (CoseKey k in existing)
            {
                k.Dispose();
            }
        }

        var record = new ResourceServerRecord(audience, encoded, protection, profiles, hasClock, maxTokenBytes, NewCredential(), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), rsPublicKey);
        store.AddResourceServer(record);
        return record;
    }

    /// <summary>
    /// Re-keys the OSCORE context a client or resource server shares with the AS: a new Master Secret, Master Salt and
    /// Sender ID, so its Sender Sequence Numbers start again at 0 without reusing a nonce (RFC 8613 §7.2.1, Appendix B.2).
    /// This is the way out for a peer that lost its sequence number file. A running AS drops the old context at once.
    /// </summary>
    /// <param name="isResourceServer">True for a resource server, false for a client.</param>
    /// <param name="name">The client_id or audience.</param>
    /// <returns>The new context (for the peer's credential file).</returns>
    /// <exception cref="AuthorizationStoreException">No such registration.</exception>
    public OscoreCredential Rotate(bool isResourceServer, string name)
    {
        OscoreCredential k = NewCredential();
        store.ReplaceCredential(isResourceServer, name, k);
        return k;
    }

    /// <summary>Allows a client tokens for an audience with at most this scope (grants add up).</summary>
    /// <param name="clientId">The client.</param>
    /// <param name="audience">The audience.</param>
    /// <param name="scope">The scope.</param>
    /// <exception cref="AuthorizationStoreException">Unknown client or audience.</exception>
    public void Grant(string clientId, string audience, AccessScope scope) => store.AddGrant(new GrantRecord(clientId, audience, scope));

    /// <summary>
    /// The AS–RS keys as the RS holds them (the <c>--key-out</c> file), each marked with the one operation the RS needs
    /// (RFC 9052 §7.1 key_ops): the token key verifies (MAC verify for mac0, decrypt for encrypt0, verify for the public
    /// half of a sign1 RS's ES256 key, whose private half never leaves the AS), and the AEAD key of a mac0/sign1 RS
    /// only unwraps the Encrypted_COSE_Key in cnf, so the file lets the RS verify its tokens, not mint ones it accepts.
    /// Keys stored before key_ops existed get the same marks.
    /// </summary>
    /// <param name="rs">The registered RS.</param>
    /// <returns>A COSE_Key or COSE_KeySet.</returns>
    public static byte[] KeysForResourceServer(ResourceServerRecord rs)
    {
        ArgumentNullException.ThrowIfNull(rs);
        if (CoseKeySet.Decode(rs.CoseKey, out IReadOnlyList<CoseKey> keys) != CoseError.None)
        {
            throw new InvalidOperationException("the stored key of resource server '" + rs.Audience + "' does not decode");
        }

        var shown = new List<CoseKey>();
        try
        {
            foreach (CoseKey k in keys)
            {
                CoseKey rsKey = k.HasPrivateKey && k.KeyType != CoseKeyType.Symmetric ? k.ToPublicKey() : k;
                shown.Add(rsKey);
                if (PopIoT.Device.AsKeyPurposes.IsDerivationKey(k))
                {
                    // The same one purpose on both sides: derive the DTLS PSKs (RFC 9202 §3.3).
                    continue;
                }

                CoseAlgorithmKind? kind = k.HasAlgorithm ? CoseAlgorithm.FromId(k.Algorithm)?.Kind : null;
                bool cnfKey = kind == CoseAlgorithmKind.Aead && rs.Protection != TokenProtection.Encrypt0;
                rsKey.SetKeyOperations([kind switch
                {
                    _ when cnfKey => CoseKeyOperation.UnwrapKey,
                    CoseAlgorithmKind.Mac => CoseKeyOperation.MacVerify,
                    CoseAlgorithmKind.Aead => CoseKeyOperation.Decrypt,
                    CoseAlgorithmKind.Signature => CoseKeyOperation.Verify,
                    _ => throw new InvalidOperationException("the stored key of resource server '" + rs.Audience + "' has no supported alg"),
                }]);
            }

            return keys.Count == 1 ? shown[0].Encode() : CoseKeySet.Encode(shown);
        }
        finally
        {
            foreach (CoseKey k in keys.Concat(shown).Distinct())
            {
                k.Dispose();
            }
        }
    }

    // RFC 9200 §5.8.4.3: the profiles this AS issues are coap_oscore and coap_dtls; a list names each once.
    private static int[] CheckProfiles(int[]? profiles)
    {
        if (profiles == null || profiles.Length == 0)
        {
            return [AceProfile.CoapOscore];
        }

        foreach (int p in profiles)
        {
            if (p is not (AceProfile.CoapOscore or AceProfile.CoapDtls))
            {
                throw new ArgumentException("ACE profile " + AceProfileNames.Name(p) + " is not one this AS issues: use coap_oscore or coap_dtls");
            }
        }

        if (profiles.Distinct().Count() != profiles.Length)
        {
            throw new ArgumentException("a profile is named twice");
        }

        return profiles;
    }

    // RFC 9202 §3.3: a given key derivation key must have that one purpose and enough key material.
    private static CoseKey CheckDerivationKey(byte[] encoded)
    {
        CoseError e = CoseKey.Decode(encoded, 0, encoded.Length, out CoseKey? key);
        if (e != CoseError.None)
        {
            throw new ArgumentException("the key derivation key is not a COSE_Key: " + e);
        }

        if (!PopIoT.Device.AsKeyPurposes.IsDerivationKey(key!))
        {
            key!.Dispose();
            throw new ArgumentException("the key derivation key must be a symmetric COSE_Key with key_ops [derive key] (7) and no other purpose (RFC 9052 §7.1; popiot key new --kty oct --purpose derive)");
        }

        if (key!.HasAlgorithm || PopIoT.Ace.AccessTokenMinter.DerivationKeyLength(key) < 16)
        {
            key.Dispose();
            throw new ArgumentException("the key derivation key must have no alg and at least 16 bytes of k (RFC 9202 §3.3)");
        }

        return key;
    }

    // RFC 9202 §3.2.1: rs_cnf is the RS's raw public key; only a public EC2 P-256 key serves TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8.
    private static byte[] CheckRsPublicKey(byte[] encoded)
    {
        CoseError e = CoseKey.Decode(encoded, 0, encoded.Length, out CoseKey? key);
        if (e != CoseError.None)
        {
            throw new ArgumentException("the RS's public key is not a COSE_Key: " + e);
        }

        using (key)
        {
            if (key!.KeyType != CoseKeyType.Ec2 || key.Curve != CoseCurve.P256)
            {
                throw new ArgumentException("the RS's public key must be an EC2 P-256 COSE_Key (RFC 9202 §3.2.1)");
            }

            if (key.HasPrivateKey)
            {
                throw new ArgumentException("the RS's key holds its private part (d): give the public key only; the RS keeps d");
            }

            return key.Encode();
        }
    }

    private CoseKey NewKey(int length, int algorithm)
    {
        byte[] k = Random(length);
        try
        {
            return CoseKey.Symmetric(k, algorithm, Random(4));
        }
        finally
        {
            CryptoBytes.Clear(k);
        }
    }

    private static void CheckName(string name, string what)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 128 || name.Any(c => c < 0x21 || c > 0x7e))
        {
            throw new ArgumentException("the " + what + " must be 1..128 printable ASCII characters without spaces, not \"" + name + "\"");
        }
    }

    private OscoreCredential NewCredential()
    {
        byte[] peerId;
        do
        {
            peerId = Random(PeerIdLength);
        }
        while (store.IsPeerSenderIdTaken(peerId));

        // The AS's own Sender ID is empty; the peer's is random and unique, so the kid of a request names the peer.
        return new OscoreCredential([], peerId, Random(16), Random(8), 10);
    }

    private byte[] Random(int n)
    {
        byte[] b = new byte[n];
        random.GetBytes(b, 0, n);
        return b;
    }
}
