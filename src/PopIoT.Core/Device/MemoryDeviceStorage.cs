using System;

namespace PopIoT.Core.Device;

/// <summary>
/// An <see cref="IDeviceStorage"/> in RAM for tests and the simulator: it survives a "reboot" (a fresh engine built on
/// the same object) and can be told to fail its writes or reads, to show the engine fails closed.
/// </summary>
public sealed class MemoryDeviceStorage : IDeviceStorage
{
    private readonly string[] _names;
    private readonly byte[][] _records;

    /// <summary>Creates a storage with room for a few records.</summary>
    /// <param name="capacity">How many records it can hold.</param>
    public MemoryDeviceStorage(int capacity)
    {
        _names = new string[capacity];
        _records = new byte[capacity][];
    }

    /// <summary>When true, every write returns false and stores nothing (a worn-out or full flash).</summary>
    public bool FailWrites { get; set; }

    /// <summary>When true, every read of an existing record returns <see cref="DeviceStorageStatus.Unreadable"/>.</summary>
    public bool FailReads { get; set; }

    /// <summary>How many writes succeeded (the engine writes only when a persisted value moves).</summary>
    public int Writes { get; private set; }

    /// <inheritdoc/>
    public int Read(string name, byte[] buffer, int offset, int count)
    {
        int i = Find(name);
        if (i < 0)
        {
            return DeviceStorageStatus.Missing;
        }

        byte[] r = _records[i];
        if (FailReads || r.Length > count)
        {
            return DeviceStorageStatus.Unreadable;
        }

        Array.Copy(r, 0, buffer, offset, r.Length);
        return r.Length;
    }

    /// <inheritdoc/>
    public bool Write(string name, byte[] buffer, int offset, int count)
    {
        if (FailWrites)
        {
            return false;
        }

        int i = Find(name);
        if (i < 0)
        {
            i = Find(null);
            if (i < 0)
            {
                return false;
            }

            _names[i] = name;
        }

        byte[] r = _records[i];
        if (r == null || r.Length != count)
        {
            r = new byte[count];
            _records[i] = r;
        }

        Array.Copy(buffer, offset, r, 0, count);
        Writes++;
        return true;
    }

    /// <summary>Overwrites one byte of a stored record (tests: a corrupted medium).</summary>
    /// <param name="name">The record.</param>
    /// <param name="index">The byte.</param>
    /// <param name="value">The new value.</param>
    public void Corrupt(string name, int index, byte value)
    {
        _records[Find(name)][index] = value;
    }

    private int Find(string name)
    {
        for (int i = 0; i < _names.Length; i++)
        {
            if (_names[i] == name)
            {
                return i;
            }
        }

        return -1;
    }
}
