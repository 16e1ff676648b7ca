using System;

using Xunit;

namespace PopIoT.Core.Tests;

/// <summary>
/// The allocation tests (GC.GetAllocatedBytesForCurrentThread around a warmed-up loop) rely on the project's
/// TieredCompilation=false: with tiering on, a background recompilation could run the measured code at tier 0 or
/// install new code inside the measured loop.
/// </summary>
public class AllocationSetupTests
{
    [Fact]
    public void Tiered_compilation_is_off_for_this_test_assembly()
    {
        // The runtime reads the setting from the runtimeconfig.json that the project file generates.
        Assert.Equal("false", AppContext.GetData("System.Runtime.TieredCompilation")?.ToString(), ignoreCase: true);
    }
}
