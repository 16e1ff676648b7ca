using System.CommandLine;
using PopIoT.Cli.Bench;
using PopIoT.Core.Crypto;
using PopIoT.Crypto;

namespace PopIoT.Cli.Commands;

/// <summary>
/// <c>popiot bench ...</c>: side-by-side measurements that print one JSON object per line, each
/// with its ratio against a baseline measured in the same run (DESIGN.md §8).
/// </summary>
internal static class BenchCommand
{
    public static Command Create(CliContext io)
    {
        var seconds = new Option<double>("--seconds")
        {
            Description = "Time budget per measurement, in seconds (default 1).",
            DefaultValueFactory = _ => 1.0,
        };
        var sizes = new Option<int[]>("--size")
        {
            Description = "Input sizes in bytes (default 64 and 1024).",
            DefaultValueFactory = _ => [64, 1024],
            AllowMultipleArgumentsPerToken = true,
        };

        var crypto = new Command("crypto", "Managed (PopIoT.Core) against platform HMAC-SHA256 and AES-CCM-16-64-128; the platform is the baseline.")
        {
            seconds,
            sizes,
        };
        crypto.SetAction(p => Crypto(io, Budget(p.GetValue(seconds)), p.GetValue(sizes)!));

        return new Command("bench", "Measure PopIoT against baselines in the same run; prints JSON lines.") { crypto };
    }

    private static TimeSpan Budget(double seconds) =>
        seconds is > 0 and <= 600 ? TimeSpan.FromSeconds(seconds) : throw new CliUsageException("--seconds must be in (0, 600]");

    private static int Crypto(CliContext io, TimeSpan budget, int[] sizes)
    {
        var managed = new ManagedCryptoProvider(PlatformCryptoProvider.Instance.Random);
        var platform = PlatformCryptoProvider.Instance;
        byte[] key = new byte[16];
        platform.Random.GetBytes(key, 0, key.Length);
        byte[] nonce = new byte[13];
        byte[] tag = new byte[8];
        foreach (int size in sizes)
        {
            if (size is < 0 or > 1 << 20)
            {
                throw new CliUsageException("--size must be between 0 and 1048576 bytes");
            }

            byte[] data = new byte[size];
            byte[] output = new byte[size];
            byte[] mac = new byte[32];

            using IMac platformHmac = platform.CreateHmacSha256(key, 0, key.Length);
            using IMac managedHmac = managed.CreateHmacSha256(key, 0, key.Length);
            var hb = Measurement.Run("hmac-sha256", "platform", size, () => { platformHmac.Update(data, 0, size); platformHmac.Final(mac, 0); }, budget);
            Measurement.Print(io.Out, hb, null);
            Measurement.Print(io.Out, Measurement.Run("hmac-sha256", "managed", size, () => { managedHmac.Update(data, 0, size); managedHmac.Final(mac, 0); }, budget), hb);

            using IAeadCipher platformCcm = platform.CreateAesCcm(key, 0, key.Length, 8, 2);
            using IAeadCipher managedCcm = managed.CreateAesCcm(key, 0, key.Length, 8, 2);
            var cb = Measurement.Run("aes-ccm-16-64-128-encrypt", "platform", size, () => platformCcm.Encrypt(nonce, 0, 13, data, 0, size, output, 0, tag, 0, null, 0, 0), budget);
            Measurement.Print(io.Out, cb, null);
            Measurement.Print(io.Out, Measurement.Run("aes-ccm-16-64-128-encrypt", "managed", size, () => managedCcm.Encrypt(nonce, 0, 13, data, 0, size, output, 0, tag, 0, null, 0, 0), budget), cb);
        }

        return ExitCodes.Ok;
    }
}
