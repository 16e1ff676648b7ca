// PLACEHOLDER, NOT THE RUNTIME: delete this file when PopIoT.Core.Device.DeviceRuntime and DeviceRuntimeSettings
// (src/PopIoT.Core/Device) are merged; the firmware then compiles against the real ones. It declares only their
// agreed contract so that firmware/PopIoT.Firmware compiles here meanwhile; nothing runs it.
#pragma warning disable CS1591
using System;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;

namespace PopIoT.Core.Device
{
    public sealed class DeviceRuntimeSettings
    {
        public AceRsSettings Ace { get; set; }

        public CoapSettings Coap { get; set; }

        public int MaxPeers { get; set; }

        public int MaxObservers { get; set; }

        public int ClockTickMs { get; set; }

        public void Validate() => throw new NotSupportedException("placeholder");
    }

    public sealed class DeviceRuntime
    {
        public DeviceRuntime(DeviceRuntimeSettings settings, DeviceHost host) => throw new NotSupportedException("placeholder");

        public AceResourceServer Engine => throw new NotSupportedException("placeholder");

        public bool Start() => throw new NotSupportedException("placeholder");

        public void RunOnce() => throw new NotSupportedException("placeholder");

        public void Run() => throw new NotSupportedException("placeholder");

        public void Stop() => throw new NotSupportedException("placeholder");
    }
}
