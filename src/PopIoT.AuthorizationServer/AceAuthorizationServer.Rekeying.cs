using Microsoft.Extensions.Logging;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Core.Oscore;
using PopIoT.Oscore;

namespace PopIoT.AuthorizationServer;

/// <summary>
/// The AS's part in RFC 8613 Appendix B.2: a registered client whose registration allows it (<see cref="ClientRecord.Rekeying"/>)
/// derives a new ID Context with the AS from its Master Secret and Salt when it lost its Sender Sequence Number. The
/// contexts of request #1 and response #1 are temporary; the context of request #2 becomes the client's only after a
/// request verified under it, and its ID Context is then stored in the registry, so it survives a restart.
/// </summary>
public sealed partial class AceAuthorizationServer
{
    // By the client's Sender ID (the kid of its requests): who it is, its registered context, whether it may re-key.
    private readonly Dictionary<string, (AcePeer Peer, OscoreCredential Credential, bool Rekeying)> _clientsByKid = new(StringComparer.Ordinal);

    private OscoreRekeyingServer NewRekeying() => new(_crypto, _time, DeriveForRekeying, Rekeyed, RekeyingStarted);

    private SecurityContext? DeriveForRekeying(byte[] kid, byte[] idContext, bool lasting)
    {
        if (!_clientsByKid.TryGetValue(Convert.ToHexStringLower(kid), out var client))
        {
            return null;
        }

        if (!client.Rekeying)
        {
            _logger.LogWarning("{Peer} asked to re-key its OSCORE context (RFC 8613 Appendix B.2), which its registration does not allow: refused as an unknown context", client.Peer);
            return null;
        }

        OscoreCredential k = client.Credential;

        // A new ID Context gives new keys (RFC 8613 §3.2.1), so its window starts empty; the AS's own numbers keep
        // coming from the store, which is safe under any key.
        var context = new SecurityContext(
            _crypto, k.MasterSecret, k.MasterSalt, k.AsSenderId, k.PeerSenderId, idContext,
            new SecurityContextOptions { Algorithm = k.Algorithm, SequenceNumberStore = lasting ? new StoreSequenceNumberStore(_store, client.Peer.StoreKey) : null! });
        if (lasting)
        {
            _peers[context] = client.Peer;
            _senderIds[context] = SenderIds(k with { IdContext = idContext });
        }

        return context;
    }

    private void RekeyingStarted(byte[] kid)
    {
        if (_clientsByKid.TryGetValue(Convert.ToHexStringLower(kid), out var client))
        {
            _logger.LogInformation("{Peer} lost its OSCORE sequence number and is re-keying with the AS (RFC 8613 Appendix B.2): request #1 verified, answered with a new ID Context", client.Peer);
        }
    }

    private void Rekeyed(OscoreRekeyingCandidate candidate, bool verified)
    {
        if (!_peers.TryGetValue(candidate.Context, out AcePeer? peer))
        {
            return;
        }

        if (!verified)
        {
            _peers.Remove(candidate.Context);
            _senderIds.Remove(candidate.Context);
            return;
        }

        if (candidate.Evicted != null)
        {
            _peers.Remove(candidate.Evicted);
            _senderIds.Remove(candidate.Evicted);
        }

        // RFC 8613 Appendix B.2 step 4: the new context replaces the previous one, whose keys are erased.
        foreach (SecurityContext old in _peers.Where(p => p.Value == peer && !ReferenceEquals(p.Key, candidate.Context)).Select(p => p.Key).ToList())
        {
            _peers.Remove(old);
            _senderIds.Remove(old);
            _table!.Remove(old);
        }

        string key = Convert.ToHexStringLower(candidate.Kid);
        if (_clientsByKid.TryGetValue(key, out var client))
        {
            _clientsByKid[key] = (client.Peer, client.Credential with { IdContext = candidate.IdContext }, client.Rekeying);
        }

        bool stored;
        try
        {
            stored = _store.SetIdContext(peer.Name, candidate.Kid, candidate.IdContext);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or AuthorizationStoreException or InvalidOperationException)
        {
            _logger.LogWarning("{Peer} re-keyed (RFC 8613 Appendix B.2) but its new ID Context could not be stored: {Reason}", peer, e.Message);
            return;
        }

        if (stored)
        {
            _logger.LogInformation("{Peer} re-keyed its OSCORE context with the AS (RFC 8613 Appendix B.2): request #2 verified under the new ID Context {IdContext}, which is stored", peer, Convert.ToHexStringLower(candidate.IdContext));
        }
        else
        {
            _logger.LogWarning("{Peer} re-keyed (RFC 8613 Appendix B.2) but its registration changed meanwhile: the new ID Context was not stored", peer);
        }
    }
}
