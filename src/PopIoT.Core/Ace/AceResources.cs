using PopIoT.Core.Cbor;
using PopIoT.Core.Coap;

namespace PopIoT.Core.Ace;

/// <summary>
/// The engine's one routing table (docs/architecture.md): each resource declared once with its access rule, its path
/// kept as text and UTF-8 for the scope checks (RFC 9237 paths are text). Allocated at construction.
/// </summary>
internal sealed class AceResources
{
    private readonly bool[] _protected;

    public AceResources(int capacity)
    {
        Table = new ResourceTable(capacity, 64 * capacity);
        Paths = new string[capacity];
        PathUtf8 = new byte[capacity][];
        _protected = new bool[capacity];
    }

    public ResourceTable Table { get; }

    public string[] Paths { get; }

    public byte[][] PathUtf8 { get; }

    // The index of /authz-info, which reports its own decisions.
    public int AuthzInfoIndex { get; set; }

    public int Count
    {
        get { return Table.Count; }
    }

    public bool IsProtected(int ri)
    {
        return _protected[ri];
    }

    public int Register(CoapResource resource, bool isProtected)
    {
        int i = Table.Add(resource);
        string p = Table.Get(i).Path;
        Paths[i] = p;
        PathUtf8[i] = new byte[Utf8.GetByteCount(p)];
        Utf8.Encode(p, PathUtf8[i], 0);
        _protected[i] = isProtected;
        return i;
    }

    // The index of a registered path (as registered), or -1.
    public int FindPath(string path)
    {
        for (int ri = 0; ri < Table.Count; ri++)
        {
            if (string.Equals(Paths[ri], path))
            {
                return ri;
            }
        }

        return -1;
    }
}
