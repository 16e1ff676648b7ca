using System.CommandLine;
using PopIoT.Core.Oscore;
using PopIoT.IO;
using PopIoT.Oscore;

namespace PopIoT.Cli.Commands;

/// <summary>
/// The OSCORE context files of <c>popiot coap</c> (<c>--oscore CTX.json</c>, <c>--ace ID.json</c>, <c>--seq N</c>) and
/// their Sender Sequence Number files (RFC 8613 Appendix B.1.1, docs/cli.md).
/// </summary>
internal static class CoapOscoreFiles
{
    internal static Option<string?> OscoreOption() => new("--oscore")
    {
        Description = "Protect with OSCORE (RFC 8613) using the context in CTX.json (docs/oscore.md); the Sender Sequence Number is kept in CTX.json.seq.",
        HelpName = "CTX.json",
    };

    internal static Option<long?> SeqOption() => new("--seq")
    {
        Description = "Start the OSCORE Sender Sequence Number of --oscore CTX.json (or --ace ID.json) at N and write CTX.json.seq: 0 for a context never used, or a number above every one it used. Refused when the file holds a larger number (RFC 8613 §7.2.1).",
        HelpName = "N",
    };

    // RFC 8613 Appendix B.1.1: CTX.json.seq is locked for as long as the context is in use (CTX.json.lock), and a
    // missing or unreadable one stops the command: the numbers used before are unknown, and guessing 0 repeats nonces.
    internal static FileSequenceNumberStore OpenStore(string contextFile, long? startAt)
    {
        if (startAt is < 0 or >= ReplayWindow.MaxSequenceNumber)
        {
            throw new CliUsageException("--seq must be from 0 to 2^40 - 2 (RFC 8613 §7.2.1)");
        }

        try
        {
            return FileSequenceNumberStore.ForContextFile(contextFile, startAt);
        }
        catch (FileLockedException e)
        {
            throw new CliUsageException("the OSCORE context '" + contextFile + "' is in use: " + e.Message + "; two processes must not share one Sender Sequence Number (RFC 8613 §7.2.1)");
        }
        catch (SequenceNumberStoreException e)
        {
            throw new CliUsageException(e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException("cannot lock the OSCORE context '" + contextFile + "': " + e.Message);
        }
    }

    internal static string SeqHint(SequenceNumberStoreException e) =>
        e.Message + (e.InnerException == null ? " (popiot: --seq N)" : string.Empty);

    // RFC 8613 Appendix B.1: the sequence number survives restarts in CTX.json.seq; a server starts with its replay
    // window unknown and challenges the first request of each client with Echo (B.1.2).
    // The returned context must be disposed before the store (which releases the lock).
    internal static SecurityContext LoadContext(string file, bool server, long? startAt, out FileSequenceNumberStore store) =>
        LoadContext(file, server, startAt, out store, out _);

    // The same, with the file's other settings (whether requests carry the 'kid context', RFC 8613 §6.1).
    internal static SecurityContext LoadContext(string file, bool server, long? startAt, out FileSequenceNumberStore store, out OscoreContextFile inputs)
    {
        OscoreContextFile ctx;
        try
        {
            ctx = OscoreContextFile.Load(file);
        }
        catch (FormatException e)
        {
            throw new CliUsageException(e.Message);
        }

        inputs = ctx;
        store = OpenStore(file, startAt);
        try
        {
            return ctx.CreateContext(null, server, store);
        }
        catch (ArgumentException e)
        {
            store.Dispose();
            throw new CliUsageException("OSCORE context file '" + file + "': " + e.Message);
        }
        catch (SequenceNumberStoreException e)
        {
            store.Dispose();
            throw new CliUsageException(SeqHint(e));
        }
    }

    // RFC 8613 Appendix B.1.1: a request whose sequence number could not be reserved was not sent; the store names
    // the file and the cause, which are the operator's to fix (exit 2).
    internal static int? StoreFailed(CliContext io, FileSequenceNumberStore? store)
    {
        if (store?.LastError is not SequenceNumberStoreException failed)
        {
            return null;
        }

        io.Error.WriteLine("popiot: " + failed.Message);
        return ExitCodes.BadInput;
    }
}
