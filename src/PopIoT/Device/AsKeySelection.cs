using PopIoT.Core.Cose;

namespace PopIoT.Device;

/// <summary>The AS–RS keys of a device, each picked for its one purpose (<see cref="AsKeyPurposes.Select"/>).</summary>
/// <param name="TokenKey">The key that verifies or decrypts the tokens.</param>
/// <param name="CnfKey">The AEAD key that only unwraps an Encrypted_COSE_Key in cnf, or null.</param>
/// <param name="TokenKeyName">Where the token key came from (for messages; never its bytes).</param>
/// <param name="CnfKeyName">Where the cnf key came from, or empty.</param>
/// <param name="DerivationKey">The coap_dtls key derivation key (RFC 9202 §3.3; key_ops exactly [derive key]), or null.</param>
public sealed record AsKeySelection(CoseKey TokenKey, CoseKey? CnfKey, string TokenKeyName, string CnfKeyName, CoseKey? DerivationKey = null);
