using System;

namespace PopIoT.Core.Cose;

/// <summary>
/// The to-be-authenticated structures: MAC_structure (RFC 9052 §6.3), Sig_structure (§4.4) and
/// Enc_structure (§5.3). They are CBOR arrays of a context string and bstrs; their heads are fixed
/// here so that a MAC can be fed the pieces directly from the message without building the whole.
/// </summary>
internal static class CoseStructure
{
    /// <summary>RFC 9052 §6.3: MAC_structure = [ "MAC0", protected, external_aad, payload ]: array(4) and the text "MAC0".</summary>
    internal static readonly byte[] Mac0Context = new byte[] { 0x84, 0x64, (byte)'M', (byte)'A', (byte)'C', (byte)'0' };

    /// <summary>RFC 9052 §4.4: Sig_structure = [ "Signature1", protected, external_aad, payload ].</summary>
    internal static readonly byte[] Signature1Context = new byte[]
    {
        0x84, 0x6A, (byte)'S', (byte)'i', (byte)'g', (byte)'n', (byte)'a', (byte)'t', (byte)'u', (byte)'r', (byte)'e', (byte)'1',
    };

    /// <summary>RFC 9052 §5.3: Enc_structure = [ "Encrypt0", protected, external_aad ].</summary>
    internal static readonly byte[] Encrypt0Context = new byte[]
    {
        0x83, 0x68, (byte)'E', (byte)'n', (byte)'c', (byte)'r', (byte)'y', (byte)'p', (byte)'t', (byte)'0',
    };

    /// <summary>Writes a definite-length bstr head (RFC 8949 §3, shortest form) and returns its size (1 to 5).</summary>
    internal static int WriteBstrHead(byte[] destination, int offset, int length)
    {
        const int major = 2 << 5;
        if (length < 24)
        {
            destination[offset] = (byte)(major | length);
            return 1;
        }

        if (length <= 0xFF)
        {
            destination[offset] = major | 24;
            destination[offset + 1] = (byte)length;
            return 2;
        }

        if (length <= 0xFFFF)
        {
            destination[offset] = major | 25;
            destination[offset + 1] = (byte)(length >> 8);
            destination[offset + 2] = (byte)length;
            return 3;
        }

        destination[offset] = major | 26;
        destination[offset + 1] = (byte)(length >> 24);
        destination[offset + 2] = (byte)(length >> 16);
        destination[offset + 3] = (byte)(length >> 8);
        destination[offset + 4] = (byte)length;
        return 5;
    }

    /// <summary>The encoded size of a bstr of <paramref name="length"/> bytes.</summary>
    internal static int BstrSize(int length)
    {
        return (length < 24 ? 1 : length <= 0xFF ? 2 : length <= 0xFFFF ? 3 : 5) + length;
    }

    /// <summary>The size of a structure: the context prefix and two or three bstrs.</summary>
    internal static int Size(byte[] context, int protectedLength, int aadLength, int payloadLength, bool withPayload)
    {
        return context.Length + BstrSize(protectedLength) + BstrSize(aadLength) + (withPayload ? BstrSize(payloadLength) : 0);
    }

    /// <summary>Writes a structure into <paramref name="destination"/> from 0 and returns its length.</summary>
    internal static int Write(byte[] destination, byte[] context, ByteRange prot, ByteRange aad, ByteRange payload, bool withPayload)
    {
        Array.Copy(context, 0, destination, 0, context.Length);
        int at = WriteBstr(destination, context.Length, prot);
        at = WriteBstr(destination, at, aad);
        return withPayload ? WriteBstr(destination, at, payload) : at;
    }

    // A bstr (head and content) at `at`; returns the new end.
    private static int WriteBstr(byte[] destination, int at, ByteRange content)
    {
        at += WriteBstrHead(destination, at, content.Count);
        content.CopyTo(destination, at);
        return at + content.Count;
    }

    /// <summary>Throws unless <paramref name="count"/> bytes from <paramref name="offset"/> fit (null allowed for an empty range).</summary>
    internal static void CheckRange(byte[] buffer, int offset, int count, string name)
    {
        if (count < 0 || offset < 0 || (buffer == null ? count != 0 : offset > buffer.Length - count))
        {
            throw new ArgumentException(name + ": the range does not fit its array.");
        }
    }

    /// <summary>The protected bucket PopIoT writes: {1: alg} (RFC 9052 §3.1), a1 01 followed by the alg as an int.</summary>
    internal static byte[] ProtectedAlg(int alg)
    {
        byte[] scratch = new byte[8];
        Cbor.CborWriter w = new Cbor.CborWriter(scratch);
        w.WriteStartMap(1);
        w.WriteInt32(CoseHeaderLabel.Alg);
        w.WriteInt32(alg);
        byte[] result = new byte[w.BytesWritten];
        Array.Copy(scratch, 0, result, 0, result.Length);
        return result;
    }
}
