namespace PopIoT.Core.Ace;

/// <summary>
/// One security decision of the <see cref="AceResourceServer"/>: what happened, for whom, and the reason. Reused for
/// every decision (no allocation on the request path); <see cref="ToString"/> allocates and is meant for host logs.
/// Never holds key bytes.
/// </summary>
public sealed class AceDecision
{
    /// <summary>What the decision was about.</summary>
    public AceDecisionKind Kind { get; private set; }

    /// <summary>The reason for a refusal, or <see cref="AceRsError.None"/>.</summary>
    public AceRsError Error { get; private set; }

    /// <summary>The CoAP response code sent (0 for events without a response, such as eviction).</summary>
    public byte ResponseCode { get; private set; }

    /// <summary>The peer the host gave with the request (-1 for events without one).</summary>
    public int Peer { get; private set; }

    /// <summary>The slot involved, or -1.</summary>
    public int Slot { get; private set; }

    /// <summary>The request method code (1 GET, 2 POST, …), or 0.</summary>
    public byte Method { get; private set; }

    /// <summary>The resource path involved, or null.</summary>
    public string Path { get; private set; }

    /// <summary>The engine's time when the decision was taken (the last <see cref="AceResourceServer.Tick"/>).</summary>
    public long Time { get; internal set; }

    /// <summary>One line for a log, e.g. "RequestDenied GET /led peer 3 slot 1 -> 4.03 ScopeDenied".</summary>
    /// <returns>The line.</returns>
    public override string ToString()
    {
        string s = KindName(Kind);
        if (Method != 0)
        {
            s += " " + MethodName(Method);
        }

        if (Path != null)
        {
            s += " " + Path;
        }

        if (Peer >= 0)
        {
            s += " peer " + Peer.ToString();
        }

        if (Slot >= 0)
        {
            s += " slot " + Slot.ToString();
        }

        if (ResponseCode != 0)
        {
            s += " -> " + (ResponseCode >> 5).ToString() + "." + (ResponseCode & 0x1F).ToString("D2");
        }

        if (Error != AceRsError.None)
        {
            s += " " + AceRsErrors.Name(Error);
        }

        return s;
    }

    internal void Set(AceDecisionKind kind, AceRsError error, byte code, int peer, int slot, byte method, string path)
    {
        Kind = kind;
        Error = error;
        ResponseCode = code;
        Peer = peer;
        Slot = slot;
        Method = method;
        Path = path;
    }

    private static string KindName(AceDecisionKind kind)
    {
        switch (kind)
        {
            case AceDecisionKind.TokenStored: return "TokenStored";
            case AceDecisionKind.TokenDuplicate: return "TokenDuplicate";
            case AceDecisionKind.RightsUpdated: return "RightsUpdated";
            case AceDecisionKind.TokenRejected: return "TokenRejected";
            case AceDecisionKind.RequestAllowed: return "RequestAllowed";
            case AceDecisionKind.RequestDenied: return "RequestDenied";
            case AceDecisionKind.UnprotectedServed: return "UnprotectedServed";
            case AceDecisionKind.SlotEvicted: return "SlotEvicted";
            case AceDecisionKind.WallClockKnown: return "WallClockKnown";
            default: return "SlotExpired";
        }
    }

    internal static string MethodName(byte method)
    {
        switch (method)
        {
            case 1: return "GET";
            case 2: return "POST";
            case 3: return "PUT";
            case 4: return "DELETE";
            case 5: return "FETCH";
            case 6: return "PATCH";
            case 7: return "iPATCH";
            default: return "0." + method.ToString("D2");
        }
    }
}
