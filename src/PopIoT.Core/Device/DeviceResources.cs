using System;

using PopIoT.Core.Ace;
using PopIoT.Core.Cbor;
using PopIoT.Core.Coap;

namespace PopIoT.Core.Device;

/// <summary>
/// The device's resources over its <see cref="IDevicePeripherals"/> (docs/device.md), the same on a board and in the
/// simulator, each declared once in the engine's routing table with its access rule:
/// <list type="bullet">
/// <item><c>/temp</c>: GET, observable (RFC 7641); the temperature as text, e.g. "21.5"; 5.03 without a reading;</item>
/// <item><c>/led</c>: GET and PUT ("on" or "off", any case, surrounding white space ignored);</item>
/// <item><c>/config</c>: PUT, for the admin scope; the body is kept (Block1 uploads up to <see cref="DeviceRuntimeSettings.MaxBodySize"/>);</item>
/// <item><c>/hello</c>: GET without protection.</item>
/// </list>
/// Text scopes: <c>read</c> (GET /temp, GET /led), <c>write</c> (GET and PUT /led), <c>admin</c> (PUT /config); AIF
/// scopes (RFC 9237) name paths and methods directly. Large representations go out in Block2 blocks (RFC 7959 §2.4).
/// Every buffer is allocated at construction; serving a request allocates nothing.
/// </summary>
public sealed class DeviceResources
{
    /// <summary>The resource number of /temp (also its number in the observe table).</summary>
    public const int Temperature = 0;

    /// <summary>The resource number of /led.</summary>
    public const int Led = 1;

    /// <summary>The resource number of /config.</summary>
    public const int Config = 2;

    /// <summary>The resource number of /hello.</summary>
    public const int Hello = 3;

    private static readonly byte[] On = new byte[] { (byte)'o', (byte)'n' };
    private static readonly byte[] Off = new byte[] { (byte)'o', (byte)'f', (byte)'f' };
    private static readonly byte[] TextPlain = new byte[] { CoapContentFormat.TextPlain };
    private static readonly string[] Paths = new string[] { "/temp", "/led", "/config", "/hello" };

    private readonly IDevicePeripherals _peripherals;
    private readonly IDeviceClock _clock;
    private readonly ObserveRegistry _observers;
    private readonly Block1Reassembler _block1;
    private readonly int _maxSzx;
    private readonly byte[] _temperature = new byte[12];
    private byte[] _hello;
    private readonly byte[] _ledUsage;
    private readonly byte[] _config;
    private int _configLength;

    /// <summary>Creates the resources and their buffers.</summary>
    /// <param name="peripherals">The LED and the temperature sensor.</param>
    /// <param name="clock">The monotonic clock (the Block1 table's recency order).</param>
    /// <param name="observers">The runtime's observe table: a successful GET /temp with Observe registers there.</param>
    /// <param name="settings">The sizes (<see cref="DeviceRuntimeSettings.MaxBodySize"/>, <see cref="DeviceRuntimeSettings.Block1Slots"/>, the engine's block size).</param>
    public DeviceResources(IDevicePeripherals peripherals, IDeviceClock clock, ObserveRegistry observers, DeviceRuntimeSettings settings)
    {
        if (peripherals == null || clock == null || observers == null || settings == null)
        {
            throw new ArgumentException("peripherals, clock, observers and settings are required.");
        }

        _peripherals = peripherals;
        _clock = clock;
        _observers = observers;
        _maxSzx = settings.Ace.MaxBlockSzx;
        _block1 = new Block1Reassembler(settings.Block1Slots, settings.MaxBodySize, _maxSzx);
        _config = new byte[settings.MaxBodySize];
        _ledUsage = Ascii("/led takes \"on\" or \"off\"");
    }

    /// <summary>Requests handed to a resource so far (Block1 continuations and refusals by the engine not counted).</summary>
    public long RequestsHandled { get; private set; }

    /// <summary>The length of the last body PUT to /config.</summary>
    public int ConfigLength
    {
        get { return _configLength; }
    }

    /// <summary>Copies the last body PUT to /config.</summary>
    /// <param name="destination">Room for <see cref="ConfigLength"/> bytes.</param>
    /// <param name="offset">Where to start.</param>
    /// <returns>The length copied.</returns>
    public int CopyConfig(byte[] destination, int offset)
    {
        Array.Copy(_config, 0, destination, offset, _configLength);
        return _configLength;
    }

    /// <summary>The path of a resource number.</summary>
    /// <param name="resource">0..3.</param>
    /// <returns>The path.</returns>
    public static string PathOf(int resource)
    {
        return Paths[resource];
    }

    /// <summary>The resource number of a path, or -1.</summary>
    /// <param name="path">The path, with its leading '/'.</param>
    /// <returns>The number.</returns>
    public static int IndexOf(string path)
    {
        for (int i = 0; i < Paths.Length; i++)
        {
            if (string.Equals(Paths[i], path))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Declares the resources, with their access rules, and the text scopes in the engine.</summary>
    /// <param name="engine">The engine (its one routing table).</param>
    /// <param name="audience">The engine's audience, which /hello names.</param>
    public void Register(AceResourceServer engine, string audience)
    {
        _hello = Ascii("hello from " + audience);
        CoapResource temp = new CoapResource(Paths[Temperature], CoapMethods.Get, new DeviceResourceHandler(this, Temperature));
        temp.Observable = true;
        temp.ContentFormat = CoapContentFormat.TextPlain;
        temp.ResourceType = "temperature-c";
        engine.AddResource(temp, true);
        CoapResource led = new CoapResource(Paths[Led], CoapMethods.Get | CoapMethods.Put, new DeviceResourceHandler(this, Led));
        led.ContentFormat = CoapContentFormat.TextPlain;
        engine.AddResource(led, true);
        engine.AddResource(new CoapResource(Paths[Config], CoapMethods.Put, new DeviceResourceHandler(this, Config)), true);
        engine.AddResource(new CoapResource(Paths[Hello], CoapMethods.Get, new DeviceResourceHandler(this, Hello)), false);

        engine.AddScope("read", Paths[Temperature], CoapMethods.Get);
        engine.AddScope("read", Paths[Led], CoapMethods.Get);
        engine.AddScope("write", Paths[Led], CoapMethods.Get | CoapMethods.Put);
        engine.AddScope("admin", Paths[Config], CoapMethods.Put);
    }

    /// <summary>
    /// Fills <paramref name="response"/> with the current representation a GET of the resource gets: code,
    /// Content-Format and payload (by reference to this object's buffers, valid until the next call). A notification is
    /// this representation (RFC 7641 §4.2).
    /// </summary>
    /// <param name="resource">The resource number.</param>
    /// <param name="response">The response to fill (its token and type are left alone).</param>
    public void Represent(int resource, CoapMessage response)
    {
        if (resource == Temperature)
        {
            int centi;
            if (!_peripherals.ReadTemperature(out centi))
            {
                response.Code = CoapCode.ServiceUnavailable;
                return;
            }

            Text(response, _temperature, 0, FormatTenths(centi, _temperature));
        }
        else if (resource == Led)
        {
            byte[] state = _peripherals.LedOn ? On : Off;
            Text(response, state, 0, state.Length);
        }
        else if (resource == Hello)
        {
            Text(response, _hello, 0, _hello.Length);
        }
        else
        {
            response.Code = CoapCode.MethodNotAllowed;
        }
    }

    /// <summary>Whether the temperature reads differently from <paramref name="centiCelsius"/> (after rounding to what /temp shows).</summary>
    /// <param name="centiCelsius">The value last shown, in hundredths of a degree.</param>
    /// <param name="now">The reading now, in hundredths (valid when the result is true or the reading succeeded).</param>
    /// <returns>True when a reading succeeded and shows another value.</returns>
    public bool TemperatureChanged(int centiCelsius, out int now)
    {
        if (!_peripherals.ReadTemperature(out now))
        {
            return false;
        }

        return Tenths(now) != Tenths(centiCelsius);
    }

    internal CoapHandlerResult Serve(int resource, int peer, CoapMessage request, CoapMessage response)
    {
        if (request.Code == CoapCode.Get)
        {
            RequestsHandled++;
            Represent(resource, response);
            if (resource == Temperature && CoapCode.ClassOf(response.Code) == 2)
            {
                // RFC 7641 §4.1: only a successful response registers the observer (or confirms its deregistration).
                _observers.HandleRequest(peer, Temperature, request, response);
            }

            Slice(request, response);
            return CoapHandlerResult.Respond;
        }

        if (request.HasOption(CoapOptionNumber.Block1) || request.HasOption(CoapOptionNumber.Size1))
        {
            // RFC 7959 §2.5: the blocks are collected; only the whole body reaches the resource.
            BlockwiseStatus s = _block1.Receive(peer, request, response, _clock.MonotonicMilliseconds);
            if (s == BlockwiseStatus.Continue || s == BlockwiseStatus.Error)
            {
                return CoapHandlerResult.Respond;
            }

            if (s == BlockwiseStatus.Complete)
            {
                return Put(resource, _block1.BodyBuffer, 0, _block1.BodyLength, response);
            }
        }

        return Put(resource, request.PayloadBuffer, request.PayloadOffset, request.PayloadLength, response);
    }

    private CoapHandlerResult Put(int resource, byte[] body, int offset, int length, CoapMessage response)
    {
        RequestsHandled++;
        if (resource == Config)
        {
            if (length > _config.Length)
            {
                // RFC 7959 §2.9.3: too large a body gets 4.13 with the size the resource takes.
                response.Code = CoapCode.RequestEntityTooLarge;
                response.SetUintOption(CoapOptionNumber.Size1, (uint)_config.Length);
                return CoapHandlerResult.Respond;
            }

            if (length > 0)
            {
                Array.Copy(body, offset, _config, 0, length);
            }

            _configLength = length;
            response.Code = CoapCode.Changed;
            return CoapHandlerResult.Respond;
        }

        int state = LedState(body, offset, length);
        if (state < 0)
        {
            response.Code = CoapCode.BadRequest;
            response.AddOption(CoapOptionNumber.ContentFormat, TextPlain, 0, 1);
            response.SetPayload(_ledUsage, 0, _ledUsage.Length);
            return CoapHandlerResult.Respond;
        }

        _peripherals.SetLed(state == 1);
        response.Code = CoapCode.Changed;
        return CoapHandlerResult.Respond;
    }

    // RFC 7959 §2.4: a representation larger than a block (or a request asking for a block) is sliced.
    private void Slice(CoapMessage request, CoapMessage response)
    {
        if (response.PayloadLength == 0 && !request.HasOption(CoapOptionNumber.Block2))
        {
            return;
        }

        if (Block2Slicer.Fill(response.PayloadBuffer, response.PayloadOffset, response.PayloadLength, request, response, _maxSzx) == BlockwiseStatus.Error)
        {
            response.ClearOptions();
            response.SetPayload(null, 0, 0);
        }
    }

    private static void Text(CoapMessage response, byte[] buffer, int offset, int length)
    {
        response.Code = CoapCode.Content;
        response.AddOption(CoapOptionNumber.ContentFormat, TextPlain, 0, 1);
        response.SetPayload(buffer, offset, length);
    }

    // "on" → 1, "off" → 0, anything else → -1; ASCII case and surrounding white space ignored.
    private static int LedState(byte[] body, int offset, int length)
    {
        int start = offset;
        int end = offset + length;
        while (start < end && IsSpace(body[start]))
        {
            start++;
        }

        while (end > start && IsSpace(body[end - 1]))
        {
            end--;
        }

        if (SameLetters(body, start, end - start, On))
        {
            return 1;
        }

        return SameLetters(body, start, end - start, Off) ? 0 : -1;
    }

    private static bool SameLetters(byte[] body, int offset, int length, byte[] word)
    {
        if (length != word.Length)
        {
            return false;
        }

        for (int i = 0; i < length; i++)
        {
            int c = body[offset + i];
            if (c >= 'A' && c <= 'Z')
            {
                c += 'a' - 'A';
            }

            if (c != word[i])
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsSpace(byte b)
    {
        return b == ' ' || b == '\t' || b == '\r' || b == '\n';
    }

    // Hundredths rounded half away from zero to tenths (what "0.0" formatting shows).
    private static int Tenths(int centi)
    {
        return centi >= 0 ? (centi + 5) / 10 : -((-centi + 5) / 10);
    }

    // The temperature as "-12.3" in ASCII, without allocating.
    internal static int FormatTenths(int centi, byte[] buffer)
    {
        int tenths = Tenths(centi);
        int p = 0;
        if (tenths < 0)
        {
            buffer[p++] = (byte)'-';
            tenths = -tenths;
        }

        int whole = tenths / 10;
        int digits = 1;
        for (int v = whole; v >= 10; v /= 10)
        {
            digits++;
        }

        for (int k = digits - 1; k >= 0; k--)
        {
            buffer[p + k] = (byte)('0' + (whole % 10));
            whole /= 10;
        }

        p += digits;
        buffer[p++] = (byte)'.';
        buffer[p++] = (byte)('0' + (tenths % 10));
        return p;
    }

    private static byte[] Ascii(string s)
    {
        byte[] b = new byte[Utf8.GetByteCount(s)];
        Utf8.Encode(s, b, 0);
        return b;
    }
}
