namespace PopIoT.Core.Ace;

/// <summary>
/// What a token gives both sides for the OSCORE context of RFC 9203 §4.3, besides the nonces and the Recipient IDs
/// of the /authz-info exchange: the Master Secret, the input salt and ID Context (absent: null), the AEAD algorithm
/// (0: the default, AES-CCM-16-64-128) and the replay window this side keeps. Made once per context, not per message.
/// </summary>
public sealed class AceOscoreInput
{
    /// <summary>Collects the inputs (the arrays are referenced, not copied).</summary>
    /// <param name="masterSecret">The OSCORE Master Secret (ms of OSCORE_Input_Material, RFC 9203 §3.2.1).</param>
    /// <param name="salt">The input salt, or null.</param>
    /// <param name="contextId">The ID Context, or null.</param>
    /// <param name="algorithm">The AEAD algorithm, or 0 for the default.</param>
    /// <param name="replayWindowSize">The replay window in bits.</param>
    public AceOscoreInput(byte[] masterSecret, byte[] salt, byte[] contextId, int algorithm, int replayWindowSize)
    {
        MasterSecret = masterSecret;
        Salt = salt;
        ContextId = contextId;
        Algorithm = algorithm;
        ReplayWindowSize = replayWindowSize;
    }

    /// <summary>The Master Secret.</summary>
    public byte[] MasterSecret { get; private set; }

    /// <summary>The input salt, or null.</summary>
    public byte[] Salt { get; private set; }

    /// <summary>The ID Context, or null.</summary>
    public byte[] ContextId { get; private set; }

    /// <summary>The AEAD algorithm, 0 for the default.</summary>
    public int Algorithm { get; private set; }

    /// <summary>The replay window in bits.</summary>
    public int ReplayWindowSize { get; private set; }
}
