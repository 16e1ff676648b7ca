using PopIoT.Core.Ace;
using PopIoT.Device;
using Xunit;
using Xunit.Abstractions;

namespace PopIoT.Tests.Device;

/// <summary>The nanoFramework heap layout rules (NanoHeapModel, docs/firmware.md "Memory model"), one test per rule, and the engine's figures.</summary>
public sealed class NanoHeapModelTests(ITestOutputHelper output)
{
    private sealed class ThreeFields
    {
        public int A = 1;
        public long B = 2;
        public object? C = null;
    }

    private sealed class Derived : Base
    {
        public byte D = 3;
    }

    private class Base
    {
        public int E = 4;
    }

    private struct Pair(int x, int y)
    {
        public int X = x;
        public int Y = y;
    }

    [Fact]
    public void A_heap_block_is_12_bytes_and_an_array_header_20()
    {
        Assert.Equal(12, NanoHeapModel.BlockBytes);
        Assert.Equal(20, NanoHeapModel.ArrayHeaderBytes);
    }

    [Fact]
    public void An_object_takes_a_header_block_and_one_block_per_field_whatever_its_width()
    {
        Assert.Equal(12, NanoHeapModel.ObjectBytes(0));
        Assert.Equal(48, NanoHeapModel.ObjectBytes(3));
        Assert.Equal(48, NanoHeapModel.Tally(new ThreeFields()).NanoBytes);
    }

    [Fact]
    public void Inherited_fields_count_as_fields_of_the_object()
    {
        Assert.Equal(36, NanoHeapModel.Tally(new Derived()).NanoBytes);
    }

    [Fact]
    public void A_byte_array_is_its_header_and_its_bytes_rounded_up_to_whole_blocks()
    {
        Assert.Equal(24, NanoHeapModel.ArrayBytes(0, 1));
        Assert.Equal(24, NanoHeapModel.ArrayBytes(4, 1));
        Assert.Equal(36, NanoHeapModel.ArrayBytes(5, 1));
        Assert.Equal(36, NanoHeapModel.Tally(new byte[16]).NanoBytes);
    }

    [Fact]
    public void Array_elements_take_their_width_and_references_a_whole_block()
    {
        Assert.Equal(1, NanoHeapModel.ElementBytes(typeof(bool)));
        Assert.Equal(2, NanoHeapModel.ElementBytes(typeof(ushort)));
        Assert.Equal(4, NanoHeapModel.ElementBytes(typeof(int)));
        Assert.Equal(8, NanoHeapModel.ElementBytes(typeof(long)));
        Assert.Equal(12, NanoHeapModel.ElementBytes(typeof(object)));
        Assert.Equal(4, NanoHeapModel.ElementBytes(typeof(DayOfWeek)));
        Assert.Equal(NanoHeapModel.RoundToBlocks(20 + (8 * 4)), NanoHeapModel.Tally(new int[8]).NanoBytes);
        Assert.Equal(NanoHeapModel.RoundToBlocks(20 + (2 * 12)) + (2 * NanoHeapModel.ArrayBytes(4, 1)), NanoHeapModel.Tally(new object[] { new byte[0], new byte[4] }).NanoBytes);
    }

    [Fact]
    public void A_struct_array_element_is_a_block_and_a_boxed_object()
    {
        Assert.Equal(NanoHeapModel.RoundToBlocks(20 + 24) + (2 * NanoHeapModel.ObjectBytes(2)), NanoHeapModel.Tally(new[] { new Pair(1, 2), new Pair(3, 4) }).NanoBytes);
    }

    [Fact]
    public void A_string_is_a_header_block_its_utf8_bytes_and_a_zero()
    {
        Assert.Equal(24, NanoHeapModel.StringBytes(11));
        Assert.Equal(36, NanoHeapModel.StringBytes(12));
        Assert.Equal(24, NanoHeapModel.Tally("coap://rs1").NanoBytes);
    }

    [Fact]
    public void The_model_walks_the_same_per_slot_objects_the_desktop_measurement_counts()
    {
        // The same walk in the 64-bit desktop layout lands on AceResourceServer.StateBytesPerSlot (the model the
        // Core memory test checks against the GC's own count), so the nano figure counts the same objects.
        var settings = new AceRsSettings("coap://rs1", "coap://as.example/token");
        EngineHeap heap = NanoHeapModel.MeasureEngine(settings);
        int desktopModel = AceResourceServer.StateBytesPerSlot(settings);
        output.WriteLine($"nano: fixed {heap.FixedBytes} B, per slot {heap.PerSlotBytes} B, 8 slots {heap.TotalBytes} B; desktop walk per slot {heap.DesktopPerSlotBytes} B, StateBytesPerSlot {desktopModel} B");
        Assert.InRange(heap.DesktopPerSlotBytes, desktopModel - 16, desktopModel + 16);
        Assert.True(heap.PerSlotBytes > 0 && heap.FixedBytes > 0);
    }

    [Fact]
    public void A_wider_replay_window_costs_its_extra_bits_per_slot_in_whole_blocks()
    {
        var w32 = new AceRsSettings("coap://rs1", "coap://as.example/token");
        var w256 = new AceRsSettings("coap://rs1", "coap://as.example/token") { ReplayWindowSize = 256 };
        int extra = NanoHeapModel.MeasureEngine(w256).PerSlotBytes - NanoHeapModel.MeasureEngine(w32).PerSlotBytes;
        output.WriteLine($"256-bit window: +{extra} B per slot");
        Assert.InRange(extra, 24, 36);
    }

    [Fact]
    public void The_breakdown_rows_add_up_to_the_tally_and_name_each_place()
    {
        var settings = new AceRsSettings("coap://rs1", "coap://as.example/token");
        using var engine = new AceResourceServer(settings, new PopIoT.Core.Crypto.ManagedCryptoProvider(new PopIoT.Testing.SeededRandomSource(1)));
        IReadOnlyList<HeapRow> rows = NanoHeapModel.Breakdown(engine);
        HeapTally tally = NanoHeapModel.Tally(engine);
        Assert.Equal(tally.NanoBytes, rows.Sum(r => r.NanoBytes));
        Assert.Equal(tally.DesktopBytes, rows.Sum(r => r.DesktopBytes));
        Assert.Equal("AceResourceServer", rows[0].Path);

        // An object's row costs at least its header and field blocks (more only when it holds boxed structs).
        Assert.All(rows.Where(r => r.Fields.Length > 0), r => Assert.True(r.NanoBytes >= r.Objects * NanoHeapModel.ObjectBytes(r.Fields.Split(", ").Length), r.Path));
        HeapRow server = rows[0];
        Assert.Equal(NanoHeapModel.ObjectBytes(typeof(AceResourceServer).GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public).Length), server.NanoBytes);
    }

    [Fact]
    public void A_slot_keeps_its_values_in_state_arrays_the_only_object_per_slot_is_the_two_field_context_handle()
    {
        // docs/firmware.md "Packed per-slot state": a value added per slot goes into a table's state array, where it
        // costs its width, not into a per-slot object, where it would cost a 12-byte block.
        EngineBreakdown b = NanoHeapModel.MeasureEngineBreakdown(new AceRsSettings("coap://rs1", "coap://as.example/token"));
        HeapRow[] objects = b.PerSlot.Where(r => r.Objects > 0).ToArray();
        HeapRow handle = Assert.Single(objects);
        Assert.Equal("SecurityContext", handle.Type);
        Assert.Equal("_slots, _slot", handle.Fields);
        Assert.Equal(1, handle.Objects);
        Assert.True(NanoHeapModel.MeasureEngine(new AceRsSettings("coap://rs1", "coap://as.example/token")).PerSlotBytes <= 280);
    }

    [Fact]
    public void The_engine_breakdown_per_slot_adds_up_to_the_per_slot_figure()
    {
        var settings = new AceRsSettings("coap://rs1", "coap://as.example/token");
        EngineHeap heap = NanoHeapModel.MeasureEngine(settings);
        EngineBreakdown b = NanoHeapModel.MeasureEngineBreakdown(settings);
        foreach (HeapRow r in b.PerSlot)
        {
            output.WriteLine($"{r.NanoBytes,5} B  {r.Objects} x {r.Type} at {r.Path} [{r.Fields}]");
        }

        // Each row is divided by 8 on its own, so the rows may round down by up to a byte each.
        int sum = b.PerSlot.Sum(r => r.NanoBytes);
        Assert.InRange(sum, heap.PerSlotBytes - b.PerSlot.Count, heap.PerSlotBytes);
        Assert.InRange(b.Fixed.Sum(r => r.NanoBytes), heap.FixedBytes, heap.FixedBytes + b.PerSlot.Count);
        Assert.All(b.PerSlot, r => Assert.True(r.NanoBytes > 0, r.Path));
    }
}
