namespace PopIoT.Core.Coap;

/// <summary>The client's rule for ordering notifications (RFC 7641 §3.4).</summary>
public static class ObserveFreshness
{
    private const uint Half = 1u << 23;

    /// <summary>
    /// Whether a notification with Observe value <paramref name="v2"/> received at <paramref name="t2"/> is newer than
    /// one with <paramref name="v1"/> received at <paramref name="t1"/> (RFC 7641 §3.4): (V1 &lt; V2 and V2 - V1 &lt; 2^23)
    /// or (V1 &gt; V2 and V1 - V2 &gt; 2^23) or (T2 &gt; T1 + 128 s). Values are taken mod 2^24; times are milliseconds.
    /// </summary>
    /// <param name="v1">The Observe value of the notification held.</param>
    /// <param name="t1">When it arrived (client-local time).</param>
    /// <param name="v2">The Observe value of the new notification.</param>
    /// <param name="t2">When it arrived.</param>
    /// <returns>True if the new notification is fresher and should replace the old one.</returns>
    public static bool IsNewer(uint v1, long t1, uint v2, long t2)
    {
        v1 &= 0xFFFFFF;
        v2 &= 0xFFFFFF;
        // RFC 7641 §3.4: after 128 s the 24-bit numbers may have wrapped more than halfway, so time decides.
        if (t2 > t1 + 128000)
        {
            return true;
        }

        return (v1 < v2 && v2 - v1 < Half) || (v1 > v2 && v1 - v2 > Half);
    }
}
