using PopIoT.Core.Device;
using PopIoT.Device;
using Xunit;
using Xunit.Abstractions;

namespace PopIoT.Tests.Device;

/// <summary>The whole device runtime in the nano layout model (docs/firmware.md "Device budgets"), cross-checked against the GC's count.</summary>
public sealed class RuntimeHeapTests(ITestOutputHelper output)
{
    [Fact]
    public void The_runtime_walk_counts_what_the_desktop_gc_allocates_for_the_runtime()
    {
        DeviceRuntimeSettings settings = BoardProfiles.Load("esp32-c3").ToRuntimeSettings("coap://device", "coap://as.example/token");
        NanoHeapModel.BuildRuntime(settings, 8).Dispose();
        long before = GC.GetAllocatedBytesForCurrentThread();
        using DeviceRuntime runtime = NanoHeapModel.BuildRuntime(settings, 8);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        RuntimeHeap heap = NanoHeapModel.MeasureRuntime(settings);
        output.WriteLine($"nano: runtime fixed {heap.FixedBytes} B, per slot {heap.PerSlotBytes} B, 8 slots {heap.TotalBytes} B; desktop walk {heap.DesktopBytes} B, GC allocated {allocated} B");

        // The walk reaches what the constructor keeps; the GC also counts the little it drops (strings while building).
        Assert.InRange(heap.DesktopBytes, allocated * 85 / 100, allocated);
    }

    [Fact]
    public void The_runtime_adds_a_fixed_part_and_nothing_per_slot_to_the_engine()
    {
        var board = BoardProfiles.Load("esp32-c3");
        EngineHeap engine = NanoHeapModel.MeasureEngine(board.ToSettings("coap://device", "coap://as.example/token"));
        RuntimeHeap runtime = NanoHeapModel.MeasureRuntime(board.ToRuntimeSettings("coap://device", "coap://as.example/token"));
        Assert.Equal(engine.PerSlotBytes, runtime.PerSlotBytes);
        Assert.True(runtime.FixedBytes > engine.FixedBytes);

        // Every message-sized buffer of the message layer and the runtime is a whole datagram (RFC 7252 §4.6): halving
        // the message size (and the duplicate cache's pool of one message) takes at least seven of them (the pool, the
        // outbox, exchanges, scratch, the datagram) down.
        DeviceRuntimeSettings small = board.ToRuntimeSettings("coap://device", "coap://as.example/token");
        small.Coap.MaxMessageSize = board.MaxMessageBytes / 2;
        small.Coap.DeduplicationPoolBytes = board.MaxMessageBytes / 2;
        int saved = runtime.FixedBytes - NanoHeapModel.MeasureRuntime(small).FixedBytes;
        output.WriteLine($"runtime fixed {runtime.FixedBytes} B; with {small.Coap.MaxMessageSize} B messages {saved} B less");
        // Each array is rounded up to whole 12-byte heap blocks, so a buffer may save up to one block less.
        Assert.True(saved >= 7 * ((board.MaxMessageBytes / 2) - NanoHeapModel.BlockBytes), "saved " + saved);
    }
}
