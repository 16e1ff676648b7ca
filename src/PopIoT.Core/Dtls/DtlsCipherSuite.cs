namespace PopIoT.Core.Dtls;

/// <summary>
/// The cipher suites of this engine: PSK key exchange (RFC 4279) with AES-128-CCM (RFC 6655 §4), both with SHA-256
/// as the PRF hash (RFC 6655 §3). CCM_8 is the suite RFC 7925 §4.2 and RFC 9202 mandate.
/// </summary>
public static class DtlsCipherSuite
{
    /// <summary>TLS_PSK_WITH_AES_128_CCM_8 (0xC0A8), 8-byte tag.</summary>
    public const int PskAes128Ccm8 = 0xC0A8;

    /// <summary>TLS_PSK_WITH_AES_128_CCM (0xC0A4), 16-byte tag.</summary>
    public const int PskAes128Ccm = 0xC0A4;

    /// <summary>TLS_EMPTY_RENEGOTIATION_INFO_SCSV (0x00FF) (RFC 5746 §3.3): offered, never selected.</summary>
    public const int EmptyRenegotiationInfoScsv = 0x00FF;

    /// <summary>The tag size of a suite of this engine, or 0 for any other suite.</summary>
    /// <param name="suite">The suite number.</param>
    /// <returns>8, 16 or 0.</returns>
    public static int TagSize(int suite)
    {
        if (suite == PskAes128Ccm8)
        {
            return 8;
        }

        return suite == PskAes128Ccm ? 16 : 0;
    }
}
