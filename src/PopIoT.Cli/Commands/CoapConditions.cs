using System.CommandLine;
using PopIoT.Coap;
using PopIoT.Core.Coap;

namespace PopIoT.Cli.Commands;

/// <summary>
/// <c>--if-match ETAG</c> and <c>--if-none-match</c> of <c>popiot coap put|post</c>: conditional requests
/// (RFC 7252 §5.10.8), as libcoap's <c>coap-client -O 1,...</c> / <c>-O 5</c> send them. Under OSCORE both are
/// Inner options (RFC 8613 §4.1), so only the server sees them.
/// </summary>
internal sealed class CoapConditions
{
    // RFC 7252 §5.10: an ETag is 1 to 8 bytes; an empty If-Match matches any current representation (§5.10.8.1).
    private const int MaxETagLength = 8;

    private readonly Option<string[]> _ifMatch = new("--if-match")
    {
        Description = "put/post only: act only if the resource's current ETag is ETAG (hex; repeat for any of several; \"\" for 'exists'), RFC 7252 §5.10.8.1.",
        HelpName = "ETAG",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<bool> _ifNoneMatch = new("--if-none-match")
    {
        Description = "put/post only: act only if the resource does not exist yet (RFC 7252 §5.10.8.2).",
    };

    /// <summary>Adds the two options to a method command.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_ifMatch);
        command.Options.Add(_ifNoneMatch);
    }

    /// <summary>Checks the values and adds the options to the request; a bad value is a usage error.</summary>
    public void Apply(ParseResult p, CoapRequest request)
    {
        string[] etags = p.GetValue(_ifMatch) ?? [];
        bool none = p.GetValue(_ifNoneMatch);
        if (etags.Length == 0 && !none)
        {
            return;
        }

        if (request.Method is not (CoapCode.Put or CoapCode.Post))
        {
            throw new CliUsageException("--if-match and --if-none-match apply to put and post (RFC 7252 §5.10.8)");
        }

        foreach (string etag in etags)
        {
            byte[] value = CliInput.ParseHex(etag, "--if-match");
            if (value.Length > MaxETagLength)
            {
                throw new CliUsageException("--if-match takes an ETag of 0 to 8 bytes (RFC 7252 §5.10.8.1), not " + value.Length);
            }

            request.Options.Add(new CoapOptionValue(CoapOptionNumber.IfMatch, value));
        }

        if (none)
        {
            request.Options.Add(new CoapOptionValue(CoapOptionNumber.IfNoneMatch, []));
        }
    }
}
