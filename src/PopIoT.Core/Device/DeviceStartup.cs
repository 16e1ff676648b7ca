using PopIoT.Core.Ace;

namespace PopIoT.Core.Device;

/// <summary>
/// What <see cref="DeviceRuntime.Start"/> reads from storage (docs/device.md, "State that survives a reboot"): the
/// configuration record, then the exi record, each logged. Fail-closed: a configuration record that exists but cannot
/// be read or parsed stops the device (it would otherwise serve with keys the operator did not give it); an unreadable
/// exi record leaves the engine refusing exi tokens (RFC 9200 §5.10.3), other tokens unaffected.
/// </summary>
internal static class DeviceStartup
{
    public static bool Configure(DeviceRuntime runtime)
    {
        IDeviceStorage storage = runtime.Host.Storage;
        if (storage == null)
        {
            runtime.Log(DeviceLogLevel.Information, "no storage: nothing survives a reboot (exi numbers included)");
            return true;
        }

        byte[] buffer = new byte[runtime.Settings.MaxConfigurationSize];
        bool ok = ReadConfiguration(runtime, storage, buffer);
        System.Array.Clear(buffer, 0, buffer.Length);
        if (!ok)
        {
            return false;
        }

        if (runtime.Engine.UseStorage(storage))
        {
            long highest = runtime.Engine.HighestExpiredExiSequence;
            runtime.Log(DeviceLogLevel.Information, highest < 0 ? "exi record: none burnt yet" : "exi record: numbers up to " + highest.ToString() + " burnt");
        }
        else
        {
            runtime.Log(DeviceLogLevel.Warning, "exi record unreadable: exi tokens are refused until it can be written (fail closed)");
        }

        return true;
    }

    private static bool ReadConfiguration(DeviceRuntime runtime, IDeviceStorage storage, byte[] buffer)
    {
        int n = storage.Read(DeviceRecords.Configuration, buffer, 0, buffer.Length);
        if (n == DeviceStorageStatus.Missing)
        {
            runtime.Log(DeviceLogLevel.Information, "no configuration record: keys as the host set them");
            return true;
        }

        if (n < 0)
        {
            runtime.Log(DeviceLogLevel.Error, "configuration record unreadable (or larger than " + buffer.Length.ToString() + " bytes): not serving");
            return false;
        }

        DeviceConfiguration configuration;
        DeviceConfigurationError error = DeviceConfiguration.Parse(buffer, 0, n, out configuration);
        if (error != DeviceConfigurationError.None)
        {
            runtime.Log(DeviceLogLevel.Error, "configuration record refused: " + Name(error) + "; not serving");
            return false;
        }

        AceRsSettings ace = runtime.Settings.Ace;
        if (!string.Equals(ace.Audience, configuration.Audience) || !string.Equals(ace.AsUri, configuration.AsUri))
        {
            AceRsSettings configured = ace.Copy();
            configured.Audience = configuration.Audience;
            configured.AsUri = configuration.AsUri;
            runtime.ReplaceEngine(configured);
        }

        configuration.Apply(runtime.Engine);
        runtime.Log(DeviceLogLevel.Information, "configuration: audience " + configuration.Audience + ", tokens " + Protection(configuration.Protection));
        return true;
    }

    private static string Protection(int tag)
    {
        return tag == 17 ? "COSE_Mac0" : (tag == 16 ? "COSE_Encrypt0" : "COSE_Sign1");
    }

    private static string Name(DeviceConfigurationError error)
    {
        switch (error)
        {
            case DeviceConfigurationError.Malformed:
                return "malformed";
            case DeviceConfigurationError.MissingAudience:
                return "no audience";
            case DeviceConfigurationError.MissingAsUri:
                return "no AS URI";
            case DeviceConfigurationError.InvalidProtection:
                return "invalid token protection";
            case DeviceConfigurationError.MissingTokenKey:
                return "no token key";
            default:
                return "invalid key";
        }
    }
}
