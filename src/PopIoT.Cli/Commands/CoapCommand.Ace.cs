using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using PopIoT.Ace;
using PopIoT.Core.Cose;
using PopIoT.Coap;
using PopIoT.Core.Oscore;
using PopIoT.Oscore;

namespace PopIoT.Cli.Commands;

/// <summary>The ACE paths of <c>popiot coap</c>: with a token file (<c>--token</c>) or with a client credential (<c>--ace</c>, through <see cref="AceClient"/>).</summary>
internal static partial class CoapCommand
{
    private static AccessTokenFile LoadToken(string file)
    {
        try
        {
            return AccessTokenFile.Load(file);
        }
        catch (FormatException e)
        {
            throw new CliUsageException(e.Message);
        }
    }

    // RFC 9203 §4.1: the token goes to /authz-info on the host of the URI; the request follows under OSCORE.
    private static int RunWithToken(CliContext io, CoapRequest request, CoapClientOptions coap, int? observe, AccessTokenFile token)
    {
        TimeSpan timeout = coap.Timeout;
        var rs = new Uri(request.Uri!.GetLeftPart(UriPartial.Authority));
        // A 5.03 / 4.29 from /authz-info (table full, rate limit) is waited out once when its Max-Age fits in half the
        // timeout; a longer one is reported at once with the time to wait.
        var options = new AceOscoreClientOptions
        {
            Coap = coap,
            MaxRetryWait = timeout / 2,
            AuthzInfoRetries = 1,
        };
        using var client = new AceOscoreClient(token, rs, options);
        try
        {
            return Send(
                io,
                request,
                ct => client.SendAsync(request, ct),
                ct => client.ObserveAsync(request.Uri, ct),
                timeout,
                observe,
                () => io.Error.WriteLine("popiot: token accepted by " + rs + "authz-info (posted " + client.TokenPosts + "x); OSCORE with the device's recipient id " + Convert.ToHexStringLower(client.ServerRecipientId ?? [])));
        }
        catch (AceTokenRejectedException e)
        {
            io.Error.WriteLine("popiot: " + e.Message
                + (e.RetryAfter is TimeSpan wait ? "; try again in " + ((long)wait.TotalSeconds).ToString(CultureInfo.InvariantCulture) + " s (Max-Age)" : string.Empty));
            return ExitCodes.Rejected;
        }
        finally
        {
            Array.Clear(token.MasterSecret);
        }
    }

    // RFC 9200 §5.3 and §5.8, RFC 9203: hints, token from the AS named there, /authz-info, then OSCORE (AceClient).
    private static AccessScope ParseScope(string text)
    {
        try
        {
            return AccessScope.Parse(text);
        }
        catch (FormatException e)
        {
            throw new CliUsageException("--scope: " + e.Message);
        }
    }

    // The token is kept next to ID.json (FileAceTokenCache) and reused by the next run until it nears expiry.
    private static int RunWithAce(CliContext io, CoapRequest request, CoapClientOptions coap, int? observe, string credentialFile, long? startAt, AccessScope? scope, DtlsPskIdentityForm dtlsIdentity, CoseKey? rpk)
    {
        TimeSpan timeout = coap.Timeout;
        AceCredentialFile credential;
        try
        {
            credential = AceCredentialFile.Load(credentialFile);
        }
        catch (FormatException e)
        {
            throw new CliUsageException(e.Message);
        }

        if (credential.ClientId == null)
        {
            throw new CliUsageException("'" + credentialFile + "' is a resource server's credential; --ace needs a client's (popiot as client add)");
        }

        using FileSequenceNumberStore store = CoapOscoreFiles.OpenStore(credentialFile, startAt);

        // RFC 8613 Appendix B.2: a lost ID.json.seq is recovered by re-keying with the AS (an explicit --seq N wins).
        CoapAceRekeying? rekeying = startAt == null ? CoapAceRekeying.StartIfLost(io, credential, credentialFile, store, timeout) : null;
        var options = new AceClientOptions
        {
            Coap = coap,
            AsSequenceNumberStore = store,
            AsContext = rekeying?.Context,
            Scope = scope,
            DtlsIdentityForm = dtlsIdentity,
            RawPublicKey = rpk,
            DtlsTrace = coap.Trace,
            TokenCache = rekeying == null ? new FileAceTokenCache(credentialFile) : CoapAceRekeying.SaveOnly(new FileAceTokenCache(credentialFile)),
            Events = e =>
            {
                io.Error.WriteLine("popiot: " + e.Kind + ": " + e.Detail);
                rekeying?.OnEvent(e);
            },
        };
        AceClient client;
        try
        {
            client = new AceClient(credential, options);
        }
        catch (SequenceNumberStoreException e)
        {
            throw new CliUsageException(CoapOscoreFiles.SeqHint(e) + "; or re-key the credential on the AS host: `popiot as client rotate --db AS.db --client-id " + credential.ClientId + " --credential-out " + credentialFile + " --force`");
        }

        using var dispose = client;
        try
        {
            return Send(io, request, ct => client.SendAsync(request, ct), ct => client.ObserveAsync(request.Uri!, ct), timeout, observe, null, true, store);
        }
        catch (AceAuthorizationException e)
        {
            io.Error.WriteLine("popiot: " + e.Message);
            if (e.Description is "Replay detected" or "Decryption failed")
            {
                // RFC 8613 §7.4, §8.2: the AS has seen these Sender Sequence Numbers, or the key is not the registered one.
                io.Error.WriteLine("popiot: the OSCORE context in '" + credentialFile + "' does not match what the AS holds for it ("
                    + (e.Description == "Replay detected" ? "'" + credentialFile + ".seq' is behind the numbers already used: was it restored or copied?" : "a wrong or outdated credential")
                    + "); re-key it on the AS host with `popiot as client rotate --db AS.db --client-id " + credential.ClientId + " --credential-out " + credentialFile + " --force`");
            }

            return CoapOscoreFiles.StoreFailed(io, store) ?? ExitCodes.Rejected;
        }
        catch (AceTokenRejectedException e)
        {
            io.Error.WriteLine("popiot: " + e.Message);
            return ExitCodes.Rejected;
        }
    }
}
