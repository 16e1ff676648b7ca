// Mirrors nanoFramework.System.Security.Cryptography 1.0.43 (assembly nanoFramework.System.Security.Cryptography; the version is
// the package's Nerdbank.GitVersioning height at the commit below), source
// github.com/nanoframework/System.Security.Cryptography commit 04ba7524da06523408594c730a1536e6ba349ed8:
// System.Security.Cryptography/{Aes,CipherMode,HMACSHA256}.cs. Only the members the adapters call.
#pragma warning disable CS1591
using PopIoT.Firmware.Check;

namespace System.Security.Cryptography
{
    public enum CipherMode
    {
        None = 0,
        CBC = 1,
        ECB = 2,
    }

    public class Aes
    {
        public Aes(CipherMode mode) => throw new NotSupportedException(CompileOnly.Message);

        public byte[] Key
        {
            get => throw new NotSupportedException(CompileOnly.Message);
            set => throw new NotSupportedException(CompileOnly.Message);
        }

        public byte[] Encrypt(byte[] data) => throw new NotSupportedException(CompileOnly.Message);
    }

    public class HMACSHA256
    {
        public static byte[] HashData(byte[] key, byte[] source) => throw new NotSupportedException(CompileOnly.Message);
    }
}
