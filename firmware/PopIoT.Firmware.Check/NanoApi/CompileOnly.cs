// Compile-only declarations of the nanoFramework API the firmware's adapters call (docs/firmware.md, "What is
// verified here"). Used by firmware/PopIoT.Firmware.Check only, never shipped: on a board the real packages
// (firmware/PopIoT.Firmware/packages.config) provide these types. Each file names the package, the version and the
// source commit it mirrors; only the members the adapters use are declared, with the published signatures, so that
// a typo, a wrong signature or a member nanoFramework does not have fails the build here.
namespace PopIoT.Firmware.Check
{
    internal static class CompileOnly
    {
        internal const string Message = "compile-only declaration of a nanoFramework API; the real one is in its package";
    }
}
