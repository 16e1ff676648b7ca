using System;
using PopIoT.Core.Cbor;
using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;

namespace PopIoT.Core.Cwt;

/// <summary>
/// The cnf claim (RFC 8747 §3.1), one method per token: a COSE_Key, an Encrypted_COSE_Key, a kid or
/// OSCORE_Input_Material (RFC 9203 §3.2.1).
/// </summary>
public sealed partial class CwtClaimsBuilder
{
    /// <summary>
    /// cnf = { COSE_Key: key } (RFC 8747 §3.2). A public key (EC2/OKP without d) for Mac0/Sign1
    /// tokens; a symmetric key only inside an Encrypt0 token (the validator refuses it otherwise).
    /// </summary>
    /// <param name="key">The PoP key; for EC2/OKP only the public part is written.</param>
    /// <exception cref="ArgumentException">The key is null.</exception>
    public void SetConfirmationKey(CoseKey key)
    {
        if (key == null)
        {
            throw new ArgumentException("key must not be null.");
        }

        CoseKey pub = key.KeyType == CoseKeyType.Symmetric ? key : key.ToPublicKey();
        byte[] encoded = pub.Encode();
        SetCnf(CnfMethod.CoseKey, encoded, encoded.Length);
        CryptoBytes.Clear(encoded);
    }

    /// <summary>
    /// cnf = { Encrypted_COSE_Key: COSE_Encrypt0(key) } (RFC 8747 §3.3), encrypted under the AS–RS key
    /// held by <paramref name="encryptor"/>, without kid and untagged like the RFC's example.
    /// </summary>
    /// <param name="key">The symmetric PoP key.</param>
    /// <param name="encryptor">A COSE_Encrypt0 bound to the key the RS will decrypt with.</param>
    /// <param name="iv">The IV, or null for a random one (pass one only to reproduce a vector).</param>
    /// <exception cref="ArgumentException">A null argument or a key/encryptor that cannot be used.</exception>
    public void SetConfirmationEncryptedKey(CoseKey key, CoseEncrypt0 encryptor, byte[] iv)
    {
        if (key == null || encryptor == null)
        {
            throw new ArgumentException("key and encryptor must not be null.");
        }

        byte[] plain = key.Encode();
        byte[] sealedKey = new byte[plain.Length + 64];
        int n = encryptor.Create(ByteRange.Of(plain), default(ByteRange), iv, false, false, ByteRange.Of(sealedKey));
        CryptoBytes.Clear(plain);
        SetCnf(CnfMethod.EncryptedCoseKey, sealedKey, n);
    }

    /// <summary>cnf = { kid: kid } (RFC 8747 §3.4).</summary>
    /// <param name="kid">The key identifier.</param>
    /// <exception cref="ArgumentException">Null.</exception>
    public void SetConfirmationKid(byte[] kid)
    {
        if (kid == null)
        {
            throw new ArgumentException("kid must not be null.");
        }

        byte[] buffer = new byte[kid.Length + 9];
        CborWriter w = new CborWriter(buffer);
        w.WriteByteString(kid);
        SetCnf(CnfMethod.Kid, buffer, w.BytesWritten);
    }

    /// <summary>
    /// cnf = { osc: OSCORE_Input_Material } (RFC 9203 §3.2.1), fields in label order. Only inside an
    /// Encrypt0 token (the Master Secret must be encrypted, RFC 9203 §3.2).
    /// </summary>
    /// <param name="id">id (required).</param>
    /// <param name="masterSecret">ms (required).</param>
    /// <param name="version">version, or 0 to omit.</param>
    /// <param name="hkdf">hkdf as a COSE algorithm number, or 0 to omit.</param>
    /// <param name="alg">alg as a COSE algorithm number, or 0 to omit.</param>
    /// <param name="salt">salt, or null.</param>
    /// <param name="contextId">contextId, or null.</param>
    /// <exception cref="ArgumentException">id or masterSecret is null.</exception>
    public void SetConfirmationOscore(byte[] id, byte[] masterSecret, int version, int hkdf, int alg, byte[] salt, byte[] contextId)
    {
        if (id == null || masterSecret == null)
        {
            throw new ArgumentException("id and masterSecret are required (RFC 9203 §3.2).");
        }

        int pairs = 2 + (version != 0 ? 1 : 0) + (hkdf != 0 ? 1 : 0) + (alg != 0 ? 1 : 0) + (salt != null ? 1 : 0) + (contextId != null ? 1 : 0);
        byte[] buffer = new byte[64 + id.Length + masterSecret.Length + (salt == null ? 0 : salt.Length) + (contextId == null ? 0 : contextId.Length)];
        CborWriter w = new CborWriter(buffer);
        w.WriteStartMap(pairs);
        w.WriteInt32(OscoreInputMaterial.LabelId);
        w.WriteByteString(id);
        if (version != 0)
        {
            w.WriteInt32(OscoreInputMaterial.LabelVersion);
            w.WriteInt32(version);
        }

        w.WriteInt32(OscoreInputMaterial.LabelMs);
        w.WriteByteString(masterSecret);
        if (hkdf != 0)
        {
            w.WriteInt32(OscoreInputMaterial.LabelHkdf);
            w.WriteInt32(hkdf);
        }

        if (alg != 0)
        {
            w.WriteInt32(OscoreInputMaterial.LabelAlg);
            w.WriteInt32(alg);
        }

        if (salt != null)
        {
            w.WriteInt32(OscoreInputMaterial.LabelSalt);
            w.WriteByteString(salt);
        }

        if (contextId != null)
        {
            w.WriteInt32(OscoreInputMaterial.LabelContextId);
            w.WriteByteString(contextId);
        }

        SetCnf(CnfMethod.OscoreInputMaterial, buffer, w.BytesWritten);
        CryptoBytes.Clear(buffer);
    }

    private void SetCnf(CnfMethod method, byte[] encodedValue, int length)
    {
        byte[] buffer = new byte[length + 2];
        CborWriter w = new CborWriter(buffer);
        w.WriteStartMap(1);
        w.WriteInt32((int)method);
        w.WriteEncodedValue(encodedValue, 0, length);
        SetClaimCore(CwtClaimKey.Cnf, buffer);
    }
}
