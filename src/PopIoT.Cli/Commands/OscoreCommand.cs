using System.CommandLine;
using PopIoT.Core.Cose;
using PopIoT.Core.Oscore;
using PopIoT.Crypto;
using PopIoT.IO;
using PopIoT.Oscore;

namespace PopIoT.Cli.Commands;

/// <summary><c>popiot oscore new</c>: a matching pair of OSCORE context files (RFC 8613 §3; docs/oscore.md).</summary>
internal static class OscoreCommand
{
    // RFC 8613 §3.3: with the 13-byte nonce of the AES-CCM-16 algorithms a Sender ID has at most 7 bytes.
    private const int MaxIdLength = 7;

    public static Command Create(CliContext io)
    {
        var client = new Option<string>("--client") { Description = "Write the client's context file here (a secret file, owner-only).", Required = true, HelpName = "CLIENT.json" };
        var server = new Option<string>("--server") { Description = "Write the server's context file here (a secret file, owner-only).", Required = true, HelpName = "SERVER.json" };
        var clientId = new Option<string>("--client-id") { Description = "The client's Sender ID as hex, 0..7 bytes (default: empty, as in RFC 8613 Appendix C.1.1).", DefaultValueFactory = _ => string.Empty, HelpName = "HEX" };
        var serverId = new Option<string>("--server-id") { Description = "The server's Sender ID as hex, 0..7 bytes (default 01).", DefaultValueFactory = _ => "01", HelpName = "HEX" };
        var idContext = new Option<string?>("--id-context") { Description = "The ID Context as hex, up to 32 bytes (default: none).", HelpName = "HEX" };
        var alg = new Option<string>("--alg") { Description = "The AEAD: AES-CCM-16-64-128 (10, the default), AES-CCM-16-64-256 (11), AES-CCM-16-128-128 (30), AES-CCM-16-128-256 (31).", DefaultValueFactory = _ => "AES-CCM-16-64-128" };
        var force = AsCommand.ForceOption();
        var cmd = new Command("new", "Make a matching pair of OSCORE context files with a fresh Master Secret and Master Salt, each with its Sender Sequence Number file at 0.")
        {
            client, server, clientId, serverId, idContext, alg, force,
        };
        cmd.SetAction(p => New(io, new PairRequest(p.GetValue(client)!, p.GetValue(server)!, p.GetValue(clientId)!, p.GetValue(serverId)!, p.GetValue(idContext), p.GetValue(alg)!), p.GetValue(force)));
        return new Command("oscore", "OSCORE security contexts (RFC 8613). See docs/oscore.md.") { cmd };
    }

    private sealed record PairRequest(string Client, string Server, string ClientId, string ServerId, string? IdContext, string Alg);

    private static int New(CliContext io, PairRequest r, bool force)
    {
        if (Path.GetFullPath(r.Client) == Path.GetFullPath(r.Server))
        {
            throw new CliUsageException("--client and --server name the same file");
        }

        byte[] clientId = Id(r.ClientId, "--client-id"), serverId = Id(r.ServerId, "--server-id");
        if (clientId.AsSpan().SequenceEqual(serverId))
        {
            throw new CliUsageException("--client-id and --server-id must differ: each side's Sender ID is the other's Recipient ID (RFC 8613 §3.3)");
        }

        byte[]? idContext = r.IdContext == null ? null : CliInput.ParseHex(r.IdContext, "--id-context");
        if (idContext?.Length > SecurityContext.MaxIdContextLength)
        {
            throw new CliUsageException("--id-context has " + idContext.Length + " bytes; at most " + SecurityContext.MaxIdContextLength + " are supported");
        }

        CoseAlgorithm a = CliKeys.ParseAlgorithm(r.Alg);
        if (a.Id is not (10 or 11 or 30 or 31))
        {
            throw new CliUsageException("--alg " + a.Name + " is not an OSCORE AEAD here: use AES-CCM-16-64-128, AES-CCM-16-64-256, AES-CCM-16-128-128 or AES-CCM-16-128-256");
        }

        using OscoreContextPair pair = OscoreContextPair.Create(PlatformCryptoProvider.Instance.Random, clientId, serverId, idContext, a.Id);
        try
        {
            pair.Write(r.Client, r.Server, force);
        }
        catch (TargetExistsException e)
        {
            throw new CliUsageException(AsCommand.ExistsMessage(e));
        }
        catch (FileLockedException e)
        {
            throw new CliUsageException("the OSCORE context is in use: " + e.Message + "; stop that process before replacing its context");
        }
        catch (FormatException e)
        {
            throw new CliUsageException(e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException("cannot write the contexts: " + e.Message);
        }

        io.Out.WriteLine("wrote the client context " + r.Client + " (sender id '" + Convert.ToHexStringLower(clientId) + "') and the server context " + r.Server
            + " (sender id '" + Convert.ToHexStringLower(serverId) + "'), " + a.Name + (idContext == null ? string.Empty : ", id context " + Convert.ToHexStringLower(idContext))
            + "; both start at Sender Sequence Number 0 (" + r.Client + ".seq, " + r.Server + ".seq)");
        return ExitCodes.Ok;
    }

    private static byte[] Id(string hex, string what)
    {
        byte[] id = CliInput.ParseHex(hex, what);
        return id.Length <= MaxIdLength ? id : throw new CliUsageException(what + " has " + id.Length + " bytes; a Sender ID has at most " + MaxIdLength + " with the AES-CCM-16 algorithms (RFC 8613 §3.3)");
    }
}
