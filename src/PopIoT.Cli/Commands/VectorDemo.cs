using PopIoT.Cbor;
using PopIoT.Core;
using PopIoT.Core.Cbor;
using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;
using PopIoT.Core.Cwt;
using PopIoT.Cose;
using PopIoT.Crypto;

namespace PopIoT.Cli.Commands;

/// <summary>
/// <c>popiot demo --vectors</c>: the building blocks of a proof-of-possession token, step by step, with published
/// inputs so a reader can check every line against the RFCs (no network).
/// </summary>
internal static class VectorDemo
{
    public static int Run(TextWriter o)
    {
        int failures = 0;
        o.WriteLine("PopIoT demo: the building blocks of a proof-of-possession token, checked against published vectors.");
        o.WriteLine();

        // Step 1: the claims of the RFC 8392 Appendix A.1 example, written by the portable core.
        o.WriteLine("1. A CWT claims set (RFC 8392 Appendix A.1), encoded by PopIoT.Core's CborWriter");
        byte[] buffer = new byte[256];
        var writer = new CborWriter(buffer, 0, buffer.Length);
        writer.WriteStartMap(7);
        writer.WriteInt32(1); writer.WriteTextString("coap://as.example.com"); // iss
        writer.WriteInt32(2); writer.WriteTextString("erikw"); // sub
        writer.WriteInt32(3); writer.WriteTextString("coap://light.example.com"); // aud
        writer.WriteInt32(4); writer.WriteInt64(1444064944); // exp
        writer.WriteInt32(5); writer.WriteInt64(1443944944); // nbf
        writer.WriteInt32(6); writer.WriteInt64(1443944944); // iat
        writer.WriteInt32(7); writer.WriteByteString([0x0b, 0x71], 0, 2); // cti
        byte[] claims = buffer.AsSpan(0, writer.BytesWritten).ToArray();
        const string Rfc8392A1 = "a70175636f61703a2f2f61732e6578616d706c652e636f6d02656572696b77037818636f61703a2f2f6c696768742e6578616d706c652e636f6d041a5612aeb0051a5610d9f0061a5610d9f007420b71";
        o.WriteLine("   diagnostic: " + CborDiagnostic.ToDiagnosticString(claims));
        o.WriteLine($"   {claims.Length} bytes: {Hex(claims)}");
        failures += Check(o, "identical to the bytes printed in RFC 8392 A.1", Hex(claims) == Rfc8392A1);
        o.WriteLine();

        // Step 2: the MAC of RFC 8392 A.4 (a COSE_Mac0 with HMAC 256/64), recomputed from its parts.
        // RFC 9052 §6.3: the MAC covers MAC_structure = ["MAC0", protected, external_aad, payload].
        o.WriteLine("2. The HMAC 256/64 tag of the MACed CWT in RFC 8392 A.4, recomputed over its MAC_structure (RFC 9052 §6.3)");
        byte[] asRsKey = Convert.FromHexString("403697de87af64611c1d32a05dab0fe1fcb715a86ab435f1ec99192d79569388"); // RFC 8392 A.2.2
        byte[] macProtected = [0xa1, 0x01, 0x04]; // {1: 4}: alg HMAC 256/64
        byte[] macStructure = Structure("MAC0", macProtected, claims);
        o.WriteLine("   MAC_structure: " + CborDiagnostic.ToDiagnosticString(macStructure));
        byte[] managedMac = Mac(new ManagedCryptoProvider(PlatformCryptoProvider.Instance.Random), asRsKey, macStructure);
        byte[] platformMac = Mac(PlatformCryptoProvider.Instance, asRsKey, macStructure);
        o.WriteLine("   managed  HMAC-SHA256: " + Hex(managedMac));
        o.WriteLine("   platform HMAC-SHA256: " + Hex(platformMac));
        failures += Check(o, "managed and platform agree (compared in constant time)", CryptoBytes.FixedTimeEquals(managedMac, 0, platformMac, 0, 32));
        byte[] publishedTag = Convert.FromHexString("093101ef6d789200"); // the tag printed in RFC 8392 A.4
        failures += Check(o, "its first 8 bytes equal the tag in RFC 8392 A.4 (093101ef6d789200)", CryptoBytes.FixedTimeEquals(managedMac, 0, publishedTag, 0, 8));
        o.WriteLine();

        // Step 3: the encrypted CWT of RFC 8392 A.5 (COSE_Encrypt0, AES-CCM-16-64-128), reproduced.
        // RFC 9052 §5.3: the AAD is Enc_structure = ["Encrypt0", protected, external_aad].
        o.WriteLine("3. The AES-CCM-16-64-128 COSE_Encrypt0 CWT of RFC 8392 A.5, re-encrypted and decrypted (RFC 9052 §5.3)");
        byte[] cek = Convert.FromHexString("231f4c4d4d3051fdc2ec0a3851d5b383"); // RFC 8392 A.2.1
        byte[] nonce = Convert.FromHexString("99a0d7846e762c49ffe8a63e0b"); // the IV in RFC 8392 A.5
        byte[] aad = Structure("Encrypt0", [0xa1, 0x01, 0x0a], null); // {1: 10}: alg AES-CCM-16-64-128
        o.WriteLine("   Enc_structure: " + CborDiagnostic.ToDiagnosticString(aad));
        byte[] published = Convert.FromHexString("b918a11fd81e438b7f973d9e2e119bcb22424ba0f38a80f27562f400ee1d0d6c0fdb559c02421fd384fc2ebe22d7071378b0ea7428fff157444d45f7e6afcda1aae5f6495830c58627087fc5b4974f319a8707a635dd643b");
        using IAeadCipher managedCcm = new AesCcm(cek, 0, cek.Length, 8, 2);
        using IAeadCipher platformCcm = PlatformCryptoProvider.Instance.CreateAesCcm(cek, 0, cek.Length, 8, 2);
        byte[] c1 = new byte[claims.Length + 8], c2 = new byte[claims.Length + 8];
        managedCcm.Encrypt(new ByteRange(nonce, 0, 13), ByteRange.Of(claims), c1, 0, c1, claims.Length, ByteRange.Of(aad));
        platformCcm.Encrypt(new ByteRange(nonce, 0, 13), ByteRange.Of(claims), c2, 0, c2, claims.Length, ByteRange.Of(aad));
        o.WriteLine("   managed  ciphertext||tag: " + Hex(c1));
        o.WriteLine("   platform ciphertext||tag: " + Hex(c2));
        failures += Check(o, "both equal the ciphertext printed in RFC 8392 A.5", c1.AsSpan().SequenceEqual(published) && c2.AsSpan().SequenceEqual(published));
        byte[] opened = new byte[claims.Length];
        failures += Check(o, "decrypting it gives back the claims of step 1",
            managedCcm.Decrypt(new ByteRange(nonce, 0, 13), new ByteRange(published, 0, claims.Length), published, claims.Length, opened, 0, ByteRange.Of(aad)) && opened.AsSpan().SequenceEqual(claims));
        published[5] ^= 0x01;
        bool tamperedOpened = managedCcm.Decrypt(new ByteRange(nonce, 0, 13), new ByteRange(published, 0, claims.Length), published, claims.Length, opened, 0, ByteRange.Of(aad));
        failures += Check(o, "with one ciphertext bit flipped it is refused, and no plaintext is released",
            !tamperedOpened && opened.All(b => b == 0));
        o.WriteLine();

        // Step 4: OSCORE key derivation, the proof-of-possession key schedule of RFC 8613 §3.2.1.
        o.WriteLine("4. OSCORE Sender Key derivation (RFC 8613 §3.2.1), checked against RFC 8613 Appendix C.1.1");
        byte[] masterSecret = Convert.FromHexString("0102030405060708090a0b0c0d0e0f10");
        byte[] masterSalt = Convert.FromHexString("9e7ca92223786340");
        // info = [ id, id_context, alg_aead, type, L ] = [ h'', null, 10, "Key", 16 ]
        byte[] infoBuffer = new byte[32];
        var info = new CborWriter(infoBuffer, 0, infoBuffer.Length);
        info.WriteStartArray(5);
        info.WriteByteString([], 0, 0);
        info.WriteNull();
        info.WriteInt32(10);
        info.WriteTextString("Key");
        info.WriteInt32(16);
        byte[] infoBytes = infoBuffer.AsSpan(0, info.BytesWritten).ToArray();
        o.WriteLine("   info: " + CborDiagnostic.ToDiagnosticString(infoBytes) + " = " + Hex(infoBytes));
        byte[] senderKey = new byte[16];
        using (var hkdf = new Hkdf())
        {
            hkdf.DeriveKey(ByteRange.Of(masterSalt), ByteRange.Of(masterSecret), ByteRange.Of(infoBytes), senderKey, 0, 16);
        }

        o.WriteLine("   Sender Key: " + Hex(senderKey));
        failures += Check(o, "equal to RFC 8613 C.1.1 (f0910ed7295e6ad4b54fc793154302ff)", Hex(senderKey) == "f0910ed7295e6ad4b54fc793154302ff");
        CryptoBytes.Clear(senderKey);
        o.WriteLine();

        // Step 5: the token an AS issues to a client for one device, and what the device does with it.
        o.WriteLine("5. An AS issues a proof-of-possession CWT; the device validates it and recovers the PoP key (RFC 8392, RFC 8747)");
        failures += TokenStep(o);
        o.WriteLine();

        o.WriteLine("Next: `popiot demo` without --vectors runs the ACE-OSCORE profile end to end: the AS, two devices and the gateway.");
        o.WriteLine(failures == 0 ? "demo: all checks passed" : $"demo: {failures} check(s) FAILED");
        return failures == 0 ? ExitCodes.Ok : ExitCodes.Rejected;
    }

    private static int TokenStep(TextWriter o)
    {
        int failures = 0;
        var crypto = PlatformCryptoProvider.Instance;
        const long Now = 1_800_000_000;

        // Keys the AS shares with the device (RS): one to MAC tokens, one to encrypt PoP keys for it.
        byte[] macKeyBytes = new byte[32], wrapKeyBytes = new byte[16], popKeyBytes = new byte[16];
        crypto.Random.GetBytes(macKeyBytes, 0, 32);
        crypto.Random.GetBytes(wrapKeyBytes, 0, 16);
        crypto.Random.GetBytes(popKeyBytes, 0, 16);
        using CoseKey macKey = CoseKey.Symmetric(macKeyBytes, CoseAlgorithm.Hmac256_64.Id, "rs1-mac"u8.ToArray());
        using CoseKey wrapKey = CoseKey.Symmetric(wrapKeyBytes, CoseAlgorithm.AesCcm16_64_128.Id, "rs1-wrap"u8.ToArray());
        using CoseKey popKey = CoseKey.Symmetric(popKeyBytes, CoseAlgorithm.AesCcm16_64_128.Id, "pop-1"u8.ToArray());
        CryptoBytes.Clear(macKeyBytes);
        CryptoBytes.Clear(wrapKeyBytes);

        // The AS: a fresh PoP key for the client, encrypted for the device inside cnf, MACed as a whole.
        byte[] token;
        byte[] iv = new byte[13];
        crypto.Random.GetBytes(iv, 0, iv.Length);
        using (var claims = new CwtClaimsBuilder())
        using (var wrap = new CoseEncrypt0(crypto, wrapKey))
        using (var issuer = new CwtIssuer(crypto, macKey) { CwtTag = true, IncludeKid = true })
        {
            claims.SetIssuer("coap://as.example");
            claims.SetAudience("coap://rs1.example");
            claims.SetIssuedAt(Now);
            claims.SetExpiration(Now + 3600);
            claims.SetScope("temp:r");
            claims.SetCti([0x01, 0x02, 0x03, 0x04]);
            claims.SetConfirmationEncryptedKey(popKey, wrap, iv);
            token = issuer.Create(claims);
        }

        o.WriteLine($"   the AS issues a {token.Length}-byte Mac0 CWT (HMAC 256/64) whose cnf holds the PoP key encrypted for the device:");
        foreach (string line in AnnotatedDiagnostic.Format(token).Split('\n'))
        {
            o.WriteLine("     " + line);
        }

        // The device: the two keys it shares with the AS, its own audience and its clock.
        using var validator = new CwtValidator(crypto, new DemoClock(Now + 60), "coap://rs1.example");
        validator.SetMac0Key(macKey);
        validator.SetCnfDecryptionKey(wrapKey);
        using var result = new CwtValidationResult();
        CwtError error = validator.Validate(token, 0, token.Length, result);
        byte[] recovered = new byte[16];
        int n = error == CwtError.None ? result.Confirmation.CopySymmetricKey(recovered, 0) : 0;
        failures += Check(o, "the device validates it (MAC, aud, exp) and decrypts the PoP key from cnf", error == CwtError.None && n == 16);
        failures += Check(o, "the recovered PoP key is the one the AS gave the client (compared in constant time)", n == 16 && CryptoBytes.FixedTimeEquals(recovered, 0, popKeyBytes, 0, 16));
        CryptoBytes.Clear(recovered);
        CryptoBytes.Clear(popKeyBytes);
        result.Clear();

        token[token.Length - 20] ^= 0x01;
        error = validator.Validate(token, 0, token.Length, result);
        failures += Check(o, $"a token with one bit changed is refused: {error} ({result.CoseError})", error == CwtError.CoseFailed && result.CoseError == CoseError.TagMismatch);
        token[token.Length - 20] ^= 0x01;

        using var otherDevice = new CwtValidator(crypto, new DemoClock(Now + 60), "coap://rs2.example");
        otherDevice.SetMac0Key(macKey);
        otherDevice.SetCnfDecryptionKey(wrapKey);
        error = otherDevice.Validate(token, 0, token.Length, result);
        failures += Check(o, $"the same token presented to another device is refused: {error}", error == CwtError.AudienceMismatch);

        using var later = new CwtValidator(crypto, new DemoClock(Now + 3600), "coap://rs1.example");
        later.SetMac0Key(macKey);
        later.SetCnfDecryptionKey(wrapKey);
        error = later.Validate(token, 0, token.Length, result);
        failures += Check(o, $"and after exp it is refused: {error}", error == CwtError.Expired);
        return failures;
    }

    private sealed class DemoClock(long unixSeconds) : ICwtClock
    {
        public bool TryGetUnixTime(out long seconds)
        {
            seconds = unixSeconds;
            return true;
        }
    }

    /// <summary>RFC 9052 §5.3 / §6.3: [context, protected, external_aad = h'', (payload)].</summary>
    private static byte[] Structure(string context, byte[] protectedHeader, byte[]? payload)
    {
        byte[] buffer = new byte[64 + protectedHeader.Length + (payload?.Length ?? 0)];
        var w = new CborWriter(buffer, 0, buffer.Length);
        w.WriteStartArray(payload == null ? 3 : 4);
        w.WriteTextString(context);
        w.WriteByteString(protectedHeader, 0, protectedHeader.Length);
        w.WriteByteString([], 0, 0);
        if (payload != null)
        {
            w.WriteByteString(payload, 0, payload.Length);
        }

        return buffer.AsSpan(0, w.BytesWritten).ToArray();
    }

    private static byte[] Mac(ICryptoProvider provider, byte[] key, byte[] data)
    {
        using IMac mac = provider.CreateHmacSha256(key, 0, key.Length);
        mac.Update(data, 0, data.Length);
        byte[] tag = new byte[32];
        mac.Final(tag, 0);
        return tag;
    }

    private static int Check(TextWriter o, string what, bool ok)
    {
        o.WriteLine((ok ? "   ok: " : "   FAILED: ") + what);
        return ok ? 0 : 1;
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
