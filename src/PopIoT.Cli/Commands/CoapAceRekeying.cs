using PopIoT.Ace;
using PopIoT.Coap;
using PopIoT.Core.Oscore;
using PopIoT.Oscore;

namespace PopIoT.Cli.Commands;

/// <summary>
/// <c>popiot coap … --ace ID.json</c> when ID.json.seq is missing or unreadable: the client re-keys its context with the
/// AS by itself (RFC 8613 Appendix B.2, docs/gateway.md). Request #1 and response #1 run first; the token request is
/// request #2, under the new ID Context. Only when the AS's response to it verified is ID.json rewritten with the new
/// ID Context and ID.json.seq written again (step 5), in that order, so the file never pairs the old context with the
/// new context's low numbers.
/// </summary>
internal sealed class CoapAceRekeying
{
    private readonly CliContext _io;
    private readonly string _credentialFile;
    private readonly byte[] _idContext;
    private readonly DeferredSequenceNumberStore _store;

    private CoapAceRekeying(CliContext io, string credentialFile, SecurityContext context, byte[] idContext, DeferredSequenceNumberStore store)
    {
        _io = io;
        _credentialFile = credentialFile;
        Context = context;
        _idContext = idContext;
        _store = store;
    }

    /// <summary>The context for the AS, ID Context R2 || R3.</summary>
    public SecurityContext Context { get; }

    /// <summary>Re-keys when the sequence number store is lost; null when it is readable (nothing to do).</summary>
    public static CoapAceRekeying? StartIfLost(CliContext io, AceCredentialFile credential, string credentialFile, FileSequenceNumberStore store, TimeSpan timeout)
    {
        SequenceNumberStoreException lost;
        try
        {
            store.TryLoad(out _);
            return null;
        }
        catch (SequenceNumberStoreException e)
        {
            lost = e;
        }

        string wayOut = "; re-key the credential on the AS host: `popiot as client rotate --db AS.db --client-id " + credential.ClientId
            + " --credential-out " + credentialFile + " --force`, or start above every number it used with --seq N";
        var deferred = new DeferredSequenceNumberStore(store);
        try
        {
            (SecurityContext context, byte[] idContext) = AsRekeying.RunAsync(credential, null, deferred, timeout).GetAwaiter().GetResult();
            return new CoapAceRekeying(io, credentialFile, context, idContext, deferred);
        }
        catch (AceAuthorizationException e)
        {
            throw new CliUsageException(lost.Message + ". Re-keying with the AS failed: " + e.Description + wayOut);
        }
        catch (Exception e) when (e is CoapTimeoutException or CoapException or System.Net.Sockets.SocketException)
        {
            throw new CliUsageException(lost.Message + ". Re-keying with the AS failed: " + e.Message + wayOut);
        }
    }

    /// <summary>A token cache that does not offer a kept token: the token request must reach the AS as request #2.</summary>
    public static IAceTokenCache SaveOnly(IAceTokenCache inner) => new SaveOnlyCache(inner);

    /// <summary>Step 5 once the AS answered under the new context (it issued a token).</summary>
    public void OnEvent(AceClientEvent e)
    {
        if (e.Kind != AceClientEventKind.TokenIssued || _store.Confirmed)
        {
            return;
        }

        try
        {
            AceCredentialFile.WriteIdContext(_credentialFile, _idContext);
            _store.Confirm();
            _io.Error.WriteLine("popiot: re-keyed the OSCORE context with the AS (RFC 8613 Appendix B.2): '" + _credentialFile
                + "' has a new ID Context and '" + _credentialFile + ".seq' starts again");
        }
        catch (Exception x) when (x is IOException or UnauthorizedAccessException or FormatException or SequenceNumberStoreException)
        {
            _io.Error.WriteLine("popiot: re-keyed with the AS (RFC 8613 Appendix B.2) but cannot record it in '" + _credentialFile + "': " + x.Message
                + "; the next run re-keys again");
        }
    }

    private sealed class SaveOnlyCache(IAceTokenCache inner) : IAceTokenCache
    {
        public AccessTokenFile? Load(string audience, out DateTimeOffset issuedAt)
        {
            issuedAt = default;
            return null;
        }

        public void Save(string audience, AccessTokenFile token, DateTimeOffset issuedAt) => inner.Save(audience, token, issuedAt);
    }
}
