using System;

using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;

namespace PopIoT.Core.Ace;

/// <summary>
/// The OSCORE Security Context derivation of the ACE OSCORE profile (RFC 9203 §4.3), shared by both sides so the
/// client and the resource server run the same code with mirrored identifiers:
/// <list type="bullet">
/// <item>Master Secret: ms of the OSCORE_Input_Material;</item>
/// <item>Master Salt: the concatenation of salt, nonce1 and nonce2, each encoded as a CBOR byte string (an absent salt
/// is the empty byte string), as RFC 9203 §4.3 and its Figure 13 show;</item>
/// <item>ID Context: contextId when the input material has one, absent otherwise;</item>
/// <item>AEAD algorithm: alg (default AES-CCM-16-64-128, 10), HKDF: hkdf (only HKDF SHA-256, -10, is implemented);</item>
/// <item>Client: Sender ID = ace_server_recipientid, Recipient ID = ace_client_recipientid; the RS the reverse.</item>
/// </list>
/// </summary>
public static class AceOscoreSetup
{
    /// <summary>HKDF SHA-256 as a COSE algorithm number (RFC 9053 §5.1), the OSCORE default (RFC 8613 §3.2).</summary>
    public const int HkdfSha256 = -10;

    /// <summary>The largest salt, nonce or Master Secret accepted (a local bound; 32 bytes).</summary>
    public const int MaxInputLength = 32;

    /// <summary>The largest Master Salt this encoder produces: three byte strings of at most 32 bytes with 2-byte heads.</summary>
    public const int MaxMasterSaltLength = 3 * (2 + MaxInputLength);

    /// <summary>Whether an AEAD algorithm is one OSCORE contexts here support (AES-CCM-16-64-128/256, -16-128-128/256).</summary>
    /// <param name="algorithm">The COSE algorithm, or 0 for the default.</param>
    /// <returns>True when supported.</returns>
    public static bool IsSupportedAead(int algorithm)
    {
        return algorithm == 0 || algorithm == 10 || algorithm == 11 || algorithm == 30 || algorithm == 31;
    }

    /// <summary>Writes the Master Salt of RFC 9203 §4.3: bstr(salt) | bstr(nonce1) | bstr(nonce2).</summary>
    /// <param name="salt">The input salt (empty, or over no buffer, when the input material has none).</param>
    /// <param name="nonce1">nonce1.</param>
    /// <param name="nonce2">nonce2.</param>
    /// <param name="destination">Receives the Master Salt (<see cref="MaxMasterSaltLength"/> bytes suffice).</param>
    /// <param name="offset">Where to write.</param>
    /// <returns>The Master Salt length.</returns>
    /// <exception cref="ArgumentException">An input is longer than <see cref="MaxInputLength"/> or the destination is too small.</exception>
    public static int BuildMasterSalt(ByteRange salt, ByteRange nonce1, ByteRange nonce2, byte[] destination, int offset)
    {
        if (salt.Count > MaxInputLength || nonce1.Count > MaxInputLength || nonce2.Count > MaxInputLength)
        {
            throw new ArgumentException("salt and nonces are at most " + MaxInputLength.ToString() + " bytes.");
        }

        int need = BstrSize(salt.Count) + BstrSize(nonce1.Count) + BstrSize(nonce2.Count);
        if (destination == null || offset < 0 || destination.Length - offset < need)
        {
            throw new ArgumentException("destination is too small for the Master Salt.");
        }

        int p = SecurityContextDerivation.WriteBstr(salt.Buffer, salt.Offset, salt.Count, destination, offset);
        p = SecurityContextDerivation.WriteBstr(nonce1.Buffer, nonce1.Offset, nonce1.Count, destination, p);
        p = SecurityContextDerivation.WriteBstr(nonce2.Buffer, nonce2.Offset, nonce2.Count, destination, p);
        return p - offset;
    }

    private static int BstrSize(int length)
    {
        return (length < 24 ? 1 : 2) + length;
    }

    /// <summary>
    /// Derives the CLIENT's Security Context after a 2.01 from /authz-info (RFC 9203 §4.3): Sender ID =
    /// ace_server_recipientid, Recipient ID = ace_client_recipientid.
    /// </summary>
    /// <param name="provider">The crypto provider.</param>
    /// <param name="input">ms, salt, contextId and alg of the OSCORE_Input_Material, and this side's replay window.</param>
    /// <param name="nonce1">The client's nonce1.</param>
    /// <param name="nonce2">The RS's nonce2.</param>
    /// <param name="clientRecipientId">ace_client_recipientid, which the client sent.</param>
    /// <param name="serverRecipientId">ace_server_recipientid, which the RS answered.</param>
    /// <returns>The new context (dispose it to erase its keys).</returns>
    /// <exception cref="ArgumentException">An input is missing or out of range.</exception>
    public static SecurityContext CreateClientContext(
        ICryptoProvider provider, AceOscoreInput input, byte[] nonce1, byte[] nonce2, byte[] clientRecipientId, byte[] serverRecipientId)
    {
        return Create(provider, input, nonce1, nonce2, serverRecipientId, clientRecipientId);
    }

    /// <summary>
    /// Derives the RESOURCE SERVER's Security Context (RFC 9203 §4.3): Sender ID = ace_client_recipientid,
    /// Recipient ID = ace_server_recipientid. Same derivation as <see cref="CreateClientContext"/> with the IDs mirrored.
    /// </summary>
    /// <param name="provider">The crypto provider.</param>
    /// <param name="input">ms, salt, contextId and alg of the OSCORE_Input_Material, and this side's replay window.</param>
    /// <param name="nonce1">The client's nonce1.</param>
    /// <param name="nonce2">The RS's nonce2.</param>
    /// <param name="clientRecipientId">ace_client_recipientid.</param>
    /// <param name="serverRecipientId">ace_server_recipientid.</param>
    /// <returns>The new context.</returns>
    /// <exception cref="ArgumentException">An input is missing or out of range.</exception>
    public static SecurityContext CreateServerContext(
        ICryptoProvider provider, AceOscoreInput input, byte[] nonce1, byte[] nonce2, byte[] clientRecipientId, byte[] serverRecipientId)
    {
        return Create(provider, input, nonce1, nonce2, clientRecipientId, serverRecipientId);
    }

    private static SecurityContext Create(
        ICryptoProvider provider, AceOscoreInput input, byte[] nonce1, byte[] nonce2, byte[] senderId, byte[] recipientId)
    {
        if (input == null || nonce1 == null || nonce2 == null)
        {
            throw new ArgumentException("the input material, nonce1 and nonce2 are required (RFC 9203 §4.3).");
        }

        int aeadAlgorithm = input.Algorithm;
        if (!IsSupportedAead(aeadAlgorithm))
        {
            throw new ArgumentException("Unsupported OSCORE AEAD algorithm " + aeadAlgorithm.ToString() + ".");
        }

        byte[] salt = new byte[MaxMasterSaltLength];
        int n = BuildMasterSalt(ByteRange.Of(input.Salt), ByteRange.Of(nonce1), ByteRange.Of(nonce2), salt, 0);
        byte[] masterSalt = new byte[n];
        Array.Copy(salt, masterSalt, n);
        try
        {
            SecurityContextOptions options = new SecurityContextOptions();
            options.Algorithm = aeadAlgorithm == 0 ? SecurityContext.DefaultAlgorithm : aeadAlgorithm;
            options.ReplayWindowSize = input.ReplayWindowSize;
            return new SecurityContext(provider, input.MasterSecret, masterSalt, senderId, recipientId, input.ContextId, options);
        }
        finally
        {
            CryptoBytes.Clear(salt);
            CryptoBytes.Clear(masterSalt);
        }
    }
}
