namespace PopIoT.Core.Dtls;

/// <summary>
/// What a <see cref="DtlsEngine"/> tells the layer above (CoAP, or a test): a session became usable, application data
/// arrived on it, or it ended. Called synchronously from <see cref="DtlsEngine.Receive"/> and
/// <see cref="DtlsEngine.Poll"/>; the listener may call <see cref="DtlsEngine.Send"/> from inside.
/// </summary>
public interface IDtlsListener
{
    /// <summary>The handshake with <paramref name="peer"/> finished; application data may flow.</summary>
    /// <param name="peer">The host's peer index.</param>
    void OnConnected(int peer);

    /// <summary>An authenticated application_data record arrived (RFC 5246 §10).</summary>
    /// <param name="peer">The host's peer index.</param>
    /// <param name="data">The plaintext, valid only during the call.</param>
    void OnApplicationData(int peer, ByteRange data);

    /// <summary>The session or handshake with <paramref name="peer"/> ended and its keys were erased.</summary>
    /// <param name="peer">The host's peer index.</param>
    /// <param name="alert">The alert description received or sent (<see cref="DtlsAlert"/>), 0 for close_notify, or <see cref="DtlsAlert.Timeout"/> / <see cref="DtlsAlert.Evicted"/>.</param>
    void OnClosed(int peer, int alert);
}
