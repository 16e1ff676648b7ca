using System.Globalization;
using PopIoT.Core.Coap;

namespace PopIoT.Coap;

/// <summary>
/// The resources <c>popiot coap serve</c> offers, for trying clients and for interop tests: <c>/time</c> (GET,
/// observable), <c>/echo</c> (POST, PUT), <c>/large</c> (GET, 4096 bytes, needs Block2), <c>/store</c> (GET, PUT,
/// DELETE), plus /.well-known/core from the server.
/// </summary>
public static class CoapDemoResources
{
    /// <summary>The size of <c>/large</c>.</summary>
    public const int LargeSize = 4096;

    private static readonly byte[] Large = MakeLarge();

    /// <summary>The body of <c>/large</c>: 64 lines of 64 ASCII bytes, "line 0000: ..." to "line 0063: ...".</summary>
    public static ReadOnlyMemory<byte> LargeBody => Large;

    /// <summary>Maps the demo resources on <paramref name="server"/>.</summary>
    /// <param name="server">The server (not yet started).</param>
    /// <param name="clock">The wall clock for /time; <see cref="TimeProvider.System"/> when null.</param>
    public static void Map(CoapServer server, TimeProvider? clock = null) => Map([server], clock);

    /// <summary>
    /// Maps the demo resources on several servers that share them, e.g. coap:// and coaps:// of one
    /// <c>popiot coap serve</c>: a PUT to /store on one is what a GET on the other reads.
    /// </summary>
    /// <param name="servers">The servers (not yet started).</param>
    /// <param name="clock">The wall clock for /time; <see cref="TimeProvider.System"/> when null.</param>
    public static void Map(IReadOnlyList<CoapServer> servers, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(servers);
        var store = new Store();
        foreach (CoapServer server in servers)
        {
            ArgumentNullException.ThrowIfNull(server);
            MapOne(server, clock ?? TimeProvider.System, store);
        }
    }

    private static void MapOne(CoapServer server, TimeProvider time, Store store)
    {
        server.Map("/time", CoapMethods.Get, (_, _) => ValueTask.FromResult(
            new CoapResponse(CoapCode.Content, System.Text.Encoding.ASCII.GetBytes(time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)), CoapContentFormat.TextPlain)),
            observable: true, contentFormat: CoapContentFormat.TextPlain, resourceType: "time");
        server.Map("/echo", CoapMethods.Post | CoapMethods.Put, (req, _) => ValueTask.FromResult(
            new CoapResponse(CoapCode.Changed, req.Payload.ToArray(), req.ContentFormat)));
        server.Map("/large", CoapMethods.Get, (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Content, LargeBody, CoapContentFormat.TextPlain)),
            contentFormat: CoapContentFormat.TextPlain);
        server.Map("/store", CoapMethods.Get | CoapMethods.Put | CoapMethods.Delete, (req, _) => ValueTask.FromResult(store.Handle(req)));
    }

    /// <summary>Notifies /time observers every <paramref name="period"/> until cancelled (RFC 7641 §4.2).</summary>
    /// <param name="server">The started server.</param>
    /// <param name="period">E.g. one second.</param>
    /// <param name="cancellationToken">Stops the ticker.</param>
    /// <returns>A task that ends when cancelled.</returns>
    public static async Task RunTimeTickerAsync(CoapServer server, TimeSpan period, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                server.NotifyObservers("/time");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static byte[] MakeLarge()
    {
        var b = new byte[LargeSize];
        const string Tail = ": abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP\n";
        for (int line = 0; line < LargeSize / 64; line++)
        {
            string s = "line " + line.ToString("0000", CultureInfo.InvariantCulture) + Tail;
            System.Text.Encoding.ASCII.GetBytes(s, 0, 64, b, line * 64);
        }

        return b;
    }

    // RFC 7252 §5.10.6: GET shows an ETag per stored version (a counter, so every PUT gives a new one); §5.10.8: If-Match and
    // If-None-Match make a PUT conditional, and a failed condition is 4.12 Precondition Failed.
    private sealed class Store
    {
        private readonly object _gate = new();
        private byte[]? _value;
        private int? _contentFormat;
        private uint _version;

        public CoapResponse Handle(CoapRequest req)
        {
            lock (_gate)
            {
                switch (req.Method)
                {
                    case CoapCode.Get:
                        return _value == null ? new CoapResponse(CoapCode.NotFound) : Tagged(new CoapResponse(CoapCode.Content, _value, _contentFormat));
                    case CoapCode.Put:
                        if (!PreconditionsHold(req))
                        {
                            return new CoapResponse(CoapCode.PreconditionFailed);
                        }

                        bool created = _value == null;
                        _value = req.Payload.ToArray();
                        _contentFormat = req.ContentFormat;
                        _version++;
                        return new CoapResponse(created ? CoapCode.Created : CoapCode.Changed);
                    default:
                        _value = null;
                        _contentFormat = null;
                        return new CoapResponse(CoapCode.Deleted);
                }
            }
        }

        private bool PreconditionsHold(CoapRequest req)
        {
            // RFC 7252 §5.10.8.2: If-None-Match holds only while there is no current representation.
            if (req.GetOption(CoapOptionNumber.IfNoneMatch) != null && _value != null)
            {
                return false;
            }

            // RFC 7252 §5.10.8.1: any If-Match value that matches the current ETag (an empty one: any representation).
            bool any = false;
            foreach (CoapOptionValue o in req.Options)
            {
                if (o.Number != CoapOptionNumber.IfMatch)
                {
                    continue;
                }

                any = true;
                if (_value != null && (o.Value.Length == 0 || o.Value.AsSpan().SequenceEqual(ETag())))
                {
                    return true;
                }
            }

            return !any;
        }

        private byte[] ETag()
        {
            byte[] tag = new byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(tag, _version);
            return tag;
        }

        private CoapResponse Tagged(CoapResponse r)
        {
            r.Options.Add(new CoapOptionValue(CoapOptionNumber.ETag, ETag()));
            return r;
        }
    }
}
