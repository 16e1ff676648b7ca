using System.Reflection;
using PopIoT.Core.Ace;

namespace PopIoT.Device;

/// <summary>
/// The managed-heap cost of objects in nanoFramework's layout, a host-side calculator (docs/firmware.md "Memory model").
/// The rules are read from nanoFramework's runtime, nf-interpreter: src/CLR/Include/nanoCLR_Runtime__HeapBlock.h
/// (<c>CLR_RT_HeapBlock_Raw</c> is three 32-bit words on a 32-bit target; <c>CLR_RT_HeapBlock_Array</c> adds the
/// element count and type, 8 bytes; <c>HB_Object_Fields_Offset</c> = 1), src/CLR/Core/Execution.cpp
/// (<c>NewObject</c>: one block per field after the header block; <c>ExtractHeapBlocksForArray</c>: header plus
/// length × element size, rounded up to whole blocks; <c>InitializeReference</c>: a struct field is a separate boxed
/// object), src/CLR/Core/TypeSystemLookup.cpp (element sizes: 1, 2, 4, 8 bytes for primitives, one 12-byte block for
/// every reference, struct, DateTime and TimeSpan element) and src/CLR/Core/CLR_RT_HeapBlock_String.cpp (a string is
/// its header block, its UTF-8 bytes and a terminating zero).
/// </summary>
public static partial class NanoHeapModel
{
    /// <summary>The size of one heap block on a 32-bit target (<c>CLR_RT_HeapBlock_Raw</c>: 3 × 4 bytes).</summary>
    public const int BlockBytes = 12;

    /// <summary><c>sizeof(CLR_RT_HeapBlock_Array)</c>: a block and the count, element type, size and reference flag.</summary>
    public const int ArrayHeaderBytes = BlockBytes + 8;

    /// <summary>A class instance: its header block and one block per instance field, whatever the field's type.</summary>
    /// <param name="fields">Instance fields, inherited ones included.</param>
    /// <returns>Bytes.</returns>
    public static int ObjectBytes(int fields) => (fields + 1) * BlockBytes;

    /// <summary>A one-dimensional array: the array header and the elements, rounded up to whole blocks.</summary>
    /// <param name="length">Elements.</param>
    /// <param name="elementBytes">Bytes per element (<see cref="ElementBytes"/>).</param>
    /// <returns>Bytes.</returns>
    public static int ArrayBytes(int length, int elementBytes) => RoundToBlocks(ArrayHeaderBytes + (length * elementBytes));

    /// <summary>A string: its header block, its UTF-8 bytes and a terminating zero, rounded up to whole blocks.</summary>
    /// <param name="utf8Bytes">The UTF-8 length.</param>
    /// <returns>Bytes.</returns>
    public static int StringBytes(int utf8Bytes) => RoundToBlocks(BlockBytes + utf8Bytes + 1);

    /// <summary>The size of one array element of a type: primitives their width, everything else one block.</summary>
    /// <param name="element">The element type.</param>
    /// <returns>Bytes.</returns>
    public static int ElementBytes(Type element)
    {
        ArgumentNullException.ThrowIfNull(element);
        Type t = element.IsEnum ? Enum.GetUnderlyingType(element) : element;
        if (t == typeof(bool) || t == typeof(byte) || t == typeof(sbyte))
        {
            return 1;
        }

        if (t == typeof(char) || t == typeof(short) || t == typeof(ushort))
        {
            return 2;
        }

        if (t == typeof(int) || t == typeof(uint) || t == typeof(float))
        {
            return 4;
        }

        return t == typeof(long) || t == typeof(ulong) || t == typeof(double) ? 8 : BlockBytes;
    }

    /// <summary>Bytes rounded up to whole heap blocks.</summary>
    /// <param name="bytes">Bytes.</param>
    /// <returns>Bytes, a multiple of <see cref="BlockBytes"/>.</returns>
    public static int RoundToBlocks(int bytes) => (bytes + BlockBytes - 1) / BlockBytes * BlockBytes;

    /// <summary>
    /// The engine's allocated state in the nanoFramework layout: the RS engine built from <paramref name="settings"/>
    /// with the board's crypto path (Core's managed provider), measured with one slot and with nine, so the part per
    /// client slot and the fixed part come apart.
    /// </summary>
    /// <param name="settings">The engine's settings; <see cref="AceRsSettings.Slots"/> is the table size budgeted.</param>
    /// <returns>The budget.</returns>
    public static EngineHeap MeasureEngine(AceRsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        HeapTally one = MeasureWithSlots(settings, 1);
        HeapTally nine = MeasureWithSlots(settings, 9);
        int perSlot = (nine.NanoBytes - one.NanoBytes) / 8;
        int desktopPerSlot = (nine.DesktopBytes - one.DesktopBytes) / 8;
        return new EngineHeap(one.NanoBytes - perSlot, perSlot, desktopPerSlot, settings.Slots);
    }

    private static HeapTally MeasureWithSlots(AceRsSettings template, int slots) => WithEngine(template, slots, e => Tally(e));

    /// <summary>Walks every object reachable from <paramref name="root"/> through Core types (and the root's assembly's), arrays and strings, and adds up both layouts.</summary>
    /// <param name="root">The root.</param>
    /// <returns>The nanoFramework bytes and the 64-bit desktop CLR bytes of the same objects.</returns>
    public static HeapTally Tally(object root) => Walk(root, null);

    /// <summary>
    /// The same walk as <see cref="Tally"/>, one row per place in the graph: the path of fields from the root's type
    /// that first reached the objects (an array's elements add <c>[]</c>), their type, how many, and their bytes.
    /// </summary>
    /// <param name="root">The root.</param>
    /// <returns>The rows, in walk order; their bytes add up to <see cref="Tally"/>'s.</returns>
    public static IReadOnlyList<HeapRow> Breakdown(object root)
    {
        var rows = new Dictionary<string, HeapRow>(StringComparer.Ordinal);
        var order = new List<string>();
        Walk(root, (path, type, fields, nano, desktop) =>
        {
            if (rows.TryGetValue(path, out HeapRow row))
            {
                rows[path] = row with { Objects = row.Objects + 1, NanoBytes = row.NanoBytes + nano, DesktopBytes = row.DesktopBytes + desktop };
            }
            else
            {
                order.Add(path);
                rows[path] = new HeapRow(path, type, fields, 1, nano, desktop);
            }
        });
        return order.Select(p => rows[p]).ToList();
    }

    private static T WithEngine<T>(AceRsSettings template, int slots, Func<AceResourceServer, T> measure)
    {
        var settings = new AceRsSettings(template.Audience, template.AsUri)
        {
            Slots = slots,
            ReplayWindowSize = template.ReplayWindowSize,
            MaxTokenSize = template.MaxTokenSize,
            BlockwiseBufferSize = template.BlockwiseBufferSize,
            BlockwiseSlots = template.BlockwiseSlots,
            MaxBlockSzx = template.MaxBlockSzx,
            MaxMessageSize = template.MaxMessageSize,
            MaxResources = template.MaxResources,
            MaxScopeEntries = template.MaxScopeEntries,
            CnonceSlots = template.CnonceSlots,
            AuthzInfoPeerBuckets = template.AuthzInfoPeerBuckets,
            HasClock = template.HasClock,
        };
        using var engine = new AceResourceServer(settings, new PopIoT.Core.Crypto.ManagedCryptoProvider(new FixedRandom()));
        return measure(engine);
    }

    /// <summary>
    /// The whole device runtime's allocated state in the nanoFramework layout (docs/firmware.md, "Device budgets"): a
    /// <see cref="PopIoT.Core.Device.DeviceRuntime"/> built from <paramref name="settings"/> with the board's crypto path
    /// (Core's managed provider), so the engine plus the runtime's own objects: the message layer and its tables, the
    /// peer table, the datagram buffers, the Block1 and observe tables and the resources. Measured with one slot and
    /// with nine, as <see cref="MeasureEngine"/>. The host's adapters (socket, clock, peripherals) are the board's own
    /// and not counted.
    /// </summary>
    /// <param name="settings">The runtime's settings; <see cref="AceRsSettings.Slots"/> of its Ace settings is the table size budgeted.</param>
    /// <returns>The budget, and the runtime's desktop (64-bit CLR) bytes with the settings' slots, for the cross-check.</returns>
    public static RuntimeHeap MeasureRuntime(PopIoT.Core.Device.DeviceRuntimeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(settings.Ace);
        HeapTally one = TallyRuntime(settings, 1);
        HeapTally nine = TallyRuntime(settings, 9);
        HeapTally actual = TallyRuntime(settings, settings.Ace.Slots);
        int perSlot = (nine.NanoBytes - one.NanoBytes) / 8;
        return new RuntimeHeap(one.NanoBytes - perSlot, perSlot, settings.Ace.Slots, actual.DesktopBytes);
    }

    /// <summary>Builds the runtime the budget measures (also for a test that measures it with the GC).</summary>
    /// <param name="settings">The settings.</param>
    /// <param name="slots">The token slots.</param>
    /// <returns>The runtime, not started.</returns>
    public static PopIoT.Core.Device.DeviceRuntime BuildRuntime(PopIoT.Core.Device.DeviceRuntimeSettings settings, int slots)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var ace = new AceRsSettings(settings.Ace.Audience, settings.Ace.AsUri)
        {
            Slots = slots,
            ReplayWindowSize = settings.Ace.ReplayWindowSize,
            MaxTokenSize = settings.Ace.MaxTokenSize,
            BlockwiseBufferSize = settings.Ace.BlockwiseBufferSize,
            BlockwiseSlots = settings.Ace.BlockwiseSlots,
            MaxBlockSzx = settings.Ace.MaxBlockSzx,
            MaxMessageSize = settings.Ace.MaxMessageSize,
            MaxResources = settings.Ace.MaxResources,
            MaxScopeEntries = settings.Ace.MaxScopeEntries,
            CnonceSlots = settings.Ace.CnonceSlots,
            AuthzInfoPeerBuckets = settings.Ace.AuthzInfoPeerBuckets,
            HasClock = settings.Ace.HasClock,
            ServesOscore = settings.Ace.ServesOscore,
            ServesDtls = settings.Ace.ServesDtls,
            MaxPskLength = settings.Ace.MaxPskLength,
        };
        var copy = new PopIoT.Core.Device.DeviceRuntimeSettings
        {
            Dtls = settings.Dtls,
            Ace = ace,
            Coap = settings.Coap,
            MaxPeers = settings.MaxPeers,
            MaxObservers = settings.MaxObservers,
            ClockTickMs = settings.ClockTickMs,
            ConfirmableNotificationEvery = settings.ConfirmableNotificationEvery,
            Block1Slots = settings.Block1Slots,
            MaxBodySize = settings.MaxBodySize,
            MaxConfigurationSize = settings.MaxConfigurationSize,
        };
        var host = new PopIoT.Core.Device.DeviceHost
        {
            Socket = new NoSocket(),
            Clock = new NoClock(),
            Crypto = new PopIoT.Core.Crypto.ManagedCryptoProvider(new FixedRandom()),
            Peripherals = new NoPeripherals(),
        };
        return new PopIoT.Core.Device.DeviceRuntime(copy, host);
    }

    private static HeapTally TallyRuntime(PopIoT.Core.Device.DeviceRuntimeSettings settings, int slots)
    {
        using PopIoT.Core.Device.DeviceRuntime runtime = BuildRuntime(settings, slots);
        return Tally(runtime);
    }

    // record(path, type, fields, nano, desktop) is called once per object, array or string counted; struct fields and
    // struct elements count with the object or array that holds them.
    private static HeapTally Walk(object root, Action<string, string, string, int, int>? record)
    {
        ArgumentNullException.ThrowIfNull(root);
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<(object Value, string Path)>();
        pending.Push((root, root.GetType().Name));
        int nano = 0;
        int desktop = 0;
        System.Reflection.Assembly rootAssembly = root.GetType().Assembly;
        while (pending.Count > 0)
        {
            (object o, string path) = pending.Pop();
            if (!seen.Add(o))
            {
                continue;
            }

            Type t = o.GetType();
            int n = 0;
            int d = 0;
            string fieldNames = string.Empty;
            if (o is string s)
            {
                n = StringBytes(System.Text.Encoding.UTF8.GetByteCount(s));
                d = Round8(22 + (2 * s.Length));
            }
            else if (o is Array a)
            {
                Type e = t.GetElementType()!;
                bool isRef = !e.IsValueType;
                n = ArrayBytes(a.Length, ElementBytes(e));
                d = Round8(24 + (a.Length * (isRef ? 8 : DesktopSize(e))));
                foreach (object? item in a)
                {
                    if (item != null && (isRef || IsStruct(e)))
                    {
                        n += isRef ? 0 : StructBytes(e, pending, item, path + "[]");
                        if (isRef && IsCore(item.GetType(), item, rootAssembly))
                        {
                            pending.Push((item, path + "[]"));
                        }
                    }
                }
            }
            else if (IsCore(t, o, rootAssembly))
            {
                List<FieldInfo> fields = InstanceFields(t);
                fieldNames = string.Join(", ", fields.Select(f => f.Name));
                n = ObjectBytes(fields.Count);
                d = Math.Max(24, Round8(16 + fields.Sum(f => DesktopSize(f.FieldType))));
                foreach (FieldInfo f in fields)
                {
                    object? v = f.GetValue(o);
                    if (IsStruct(f.FieldType))
                    {
                        n += StructBytes(f.FieldType, pending, v, t.Name + "." + f.Name);
                    }
                    else if (v != null && !f.FieldType.IsValueType)
                    {
                        pending.Push((v, t.Name + "." + f.Name));
                    }
                }
            }
            else
            {
                continue;
            }

            nano += n;
            desktop += d;
            record?.Invoke(path, TypeName(t), fieldNames, n, d);
        }

        return new HeapTally(nano, desktop);
    }

    private static string TypeName(Type t) => t.IsArray ? TypeName(t.GetElementType()!) + "[]" : t.Name;

    // Core's objects (and the root's own assembly's) are walked; platform objects a host hands in are not the board's.
    private static bool IsCore(Type t, object o, System.Reflection.Assembly rootAssembly) => o is string || o is Array || t.Assembly == typeof(AceResourceServer).Assembly || t.Assembly == rootAssembly;

    private static bool IsStruct(Type t) => t.IsValueType && !t.IsPrimitive && !t.IsEnum && t != typeof(DateTime) && t != typeof(TimeSpan);

    // InitializeReference allocates a boxed object for every struct field and struct array element.
    private static int StructBytes(Type t, Stack<(object Value, string Path)> pending, object? value, string path)
    {
        var fields = InstanceFields(t);
        int bytes = ObjectBytes(fields.Count);
        foreach (FieldInfo f in fields)
        {
            object? v = value == null ? null : f.GetValue(value);
            if (IsStruct(f.FieldType))
            {
                bytes += StructBytes(f.FieldType, pending, v, path + "." + f.Name);
            }
            else if (v != null && !f.FieldType.IsValueType)
            {
                pending.Push((v, path + "." + f.Name));
            }
        }

        return bytes;
    }

    private static List<FieldInfo> InstanceFields(Type t)
    {
        var all = new List<FieldInfo>();
        for (Type? c = t; c != null && c != typeof(object) && c != typeof(ValueType); c = c.BaseType)
        {
            all.AddRange(c.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly));
        }

        return all;
    }

    private static int DesktopSize(Type t)
    {
        if (!t.IsValueType)
        {
            return 8;
        }

        if (t.IsEnum)
        {
            t = Enum.GetUnderlyingType(t);
        }

        return t.IsPrimitive || t == typeof(DateTime) || t == typeof(TimeSpan) ? ElementBytesDesktop(t) : InstanceFields(t).Sum(f => DesktopSize(f.FieldType));
    }

    private static int ElementBytesDesktop(Type t) => t == typeof(DateTime) || t == typeof(TimeSpan) || t == typeof(IntPtr) ? 8 : ElementBytes(t);

    private static int Round8(int n) => (n + 7) & ~7;

    private sealed class NoSocket : PopIoT.Core.Device.IDatagramSocket
    {
        public int Receive(byte[] buffer, int offset, int count, int timeoutMs, PopIoT.Core.Device.DatagramAddress from) => -1;

        public bool Send(PopIoT.Core.Device.DatagramAddress to, byte[] buffer, int offset, int count) => false;
    }

    private sealed class NoClock : PopIoT.Core.Device.IDeviceClock
    {
        public long MonotonicMilliseconds => 0;

        public bool TryGetUnixTime(out long unixSeconds)
        {
            unixSeconds = 0;
            return false;
        }
    }

    private sealed class NoPeripherals : PopIoT.Core.Device.IDevicePeripherals
    {
        public bool LedOn => false;

        public bool ReadTemperature(out int centiCelsius)
        {
            centiCelsius = 0;
            return false;
        }

        public void SetLed(bool on)
        {
        }
    }

    private sealed class FixedRandom : PopIoT.Core.Crypto.IRandomSource
    {
        public void GetBytes(byte[] buffer, int offset, int count)
        {
            Array.Clear(buffer, offset, count);
        }
    }
}

/// <summary>Bytes of one object graph in two layouts.</summary>
/// <param name="NanoBytes">nanoFramework (32-bit, 12-byte heap blocks).</param>
/// <param name="DesktopBytes">The 64-bit desktop CLR, approximately (headers, fields rounded to 8 bytes).</param>
public readonly record struct HeapTally(int NanoBytes, int DesktopBytes);

/// <summary>The RS engine's state in nanoFramework's layout.</summary>
/// <param name="FixedBytes">What does not grow with the slots (buffers sized by the settings, tables' headers).</param>
/// <param name="PerSlotBytes">Per client slot (the slot's entries in the state arrays of the token table and the OSCORE context slots, and its context handle).</param>
/// <param name="DesktopPerSlotBytes">The same per-slot objects in the 64-bit desktop layout (the cross-check).</param>
/// <param name="Slots">The slots budgeted.</param>
public readonly record struct EngineHeap(int FixedBytes, int PerSlotBytes, int DesktopPerSlotBytes, int Slots)
{
    /// <summary>The fixed part plus <see cref="Slots"/> slots.</summary>
    public int TotalBytes => FixedBytes + (PerSlotBytes * Slots);
}

/// <summary>One place in an object graph (<see cref="NanoHeapModel.Breakdown"/>).</summary>
/// <param name="Path">The field path from the root's type that reached the objects, e.g. <c>AceTokenTable._slots[]</c>.</param>
/// <param name="Type">Their type (an array's element type with <c>[]</c>).</param>
/// <param name="Fields">Instance fields of the type, comma-separated (each a 12-byte block in nanoFramework); empty for arrays and strings.</param>
/// <param name="Objects">How many objects.</param>
/// <param name="NanoBytes">Their bytes in nanoFramework's layout.</param>
/// <param name="DesktopBytes">Their bytes in the 64-bit desktop layout.</param>
public readonly record struct HeapRow(string Path, string Type, string Fields, int Objects, int NanoBytes, int DesktopBytes);

/// <summary>The engine's bytes by place (<see cref="NanoHeapModel.MeasureEngineBreakdown"/>).</summary>
/// <param name="PerSlot">What one more client slot adds, largest first.</param>
/// <param name="Fixed">What does not grow with the slots, largest first.</param>
public sealed record EngineBreakdown(IReadOnlyList<HeapRow> PerSlot, IReadOnlyList<HeapRow> Fixed);

/// <summary>The whole device runtime's state in nanoFramework's layout (the engine included).</summary>
/// <param name="FixedBytes">What does not grow with the slots: the engine's fixed part and the runtime's own objects.</param>
/// <param name="PerSlotBytes">Per client slot.</param>
/// <param name="Slots">The slots budgeted.</param>
/// <param name="DesktopBytes">The same objects with <paramref name="Slots"/> slots in the 64-bit desktop layout (the cross-check against the GC's count).</param>
public readonly record struct RuntimeHeap(int FixedBytes, int PerSlotBytes, int Slots, int DesktopBytes)
{
    /// <summary>The fixed part plus <see cref="Slots"/> slots.</summary>
    public int TotalBytes => FixedBytes + (PerSlotBytes * Slots);
}
