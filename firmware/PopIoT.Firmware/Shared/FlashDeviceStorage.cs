#nullable disable
using System;

using PopIoT.Core.Device;

namespace PopIoT.Firmware;

/// <summary>
/// The board's <see cref="IDeviceStorage"/>: one file per record under a root such as <c>I:</c> (the ESP32's internal
/// flash), fail-closed as the interface requires. nanoFramework's File.Move cannot replace a file, so a write goes
/// to <c>NAME.new</c>, is flushed, and only then replaces <c>NAME</c> (delete, rename). A power cut at any point
/// leaves the old record or the complete new one: when <c>NAME</c> is gone, <c>NAME.new</c> was complete before it was
/// deleted, and reading (or the next write) takes it. The one case left, a cut during the very first write of a
/// record, leaves a short <c>NAME.new</c> that the record's own check refuses (the exi record carries its complement).
/// </summary>
public sealed class FlashDeviceStorage : IDeviceStorage
{
    private const string NewSuffix = ".new";

    private readonly IFlashFiles _files;
    private readonly string _root;

    /// <summary>Creates the storage.</summary>
    /// <param name="files">The board's files.</param>
    /// <param name="root">The folder, e.g. <c>I:</c> (records are <c>I:\config</c>, <c>I:\board</c> ...).</param>
    public FlashDeviceStorage(IFlashFiles files, string root)
    {
        if (files == null || root == null || root.Length == 0)
        {
            throw new ArgumentException("the flash storage needs a file system and a root such as I:");
        }

        _files = files;
        _root = root;
    }

    /// <summary>The path a record is kept at.</summary>
    /// <param name="name">The record's name (<see cref="DeviceRecords"/>).</param>
    /// <returns>ROOT\NAME.</returns>
    public string PathOf(string name)
    {
        if (name == null || name.Length == 0 || name.IndexOf('/') >= 0 || name.IndexOf('\\') >= 0 || name.IndexOf('.') >= 0 || name.IndexOf(':') >= 0)
        {
            throw new ArgumentException("invalid record name");
        }

        return _root + "\\" + name;
    }

    /// <inheritdoc/>
    public int Read(string name, byte[] buffer, int offset, int count)
    {
        string path = PathOf(name);
        try
        {
            string from = _files.Exists(path) ? path : (_files.Exists(path + NewSuffix) ? path + NewSuffix : null);
            if (from == null)
            {
                return DeviceStorageStatus.Missing;
            }

            int length = _files.Read(from, buffer, offset, count);
            return length < 0 || length > count ? DeviceStorageStatus.Unreadable : length;
        }
        catch (Exception)
        {
            // Any failure of the medium is "cannot be read", never "missing": missing reads as a first boot.
            return DeviceStorageStatus.Unreadable;
        }
    }

    /// <inheritdoc/>
    public bool Write(string name, byte[] buffer, int offset, int count)
    {
        string path = PathOf(name);
        string next = path + NewSuffix;
        try
        {
            bool hasRecord = _files.Exists(path);
            if (!hasRecord && _files.Exists(next))
            {
                // A cut between delete and rename: the complete new record is the current one; keep it current.
                _files.Move(next, path);
                hasRecord = true;
            }
            else if (_files.Exists(next))
            {
                _files.Delete(next);
            }

            _files.Write(next, buffer, offset, count);
            if (hasRecord)
            {
                _files.Delete(path);
            }

            _files.Move(next, path);
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }
}
