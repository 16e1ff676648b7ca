using System;

using PopIoT.Core.Ace;
using PopIoT.Core.Cbor;
using PopIoT.Core.Coap;

namespace PopIoT.Core.Device;

/// <summary>
/// The board settings a device reads at boot from its <see cref="DeviceRecords.BoardSettings"/> record: what a board
/// profile (hardware/boards/NAME.json, docs/firmware.md) gives the runtime, so that the board needs no JSON parser.
/// One CBOR map with integer keys (docs/firmware.md, "Provisioning"):
/// 1 board name (tstr), 2 token slots, 3 replay window bits, 4 largest token, 5 block SZX, 6 ACK_TIMEOUT ms,
/// 7 ACK_RANDOM_FACTOR ‰, 8 MAX_RETRANSMIT, 9 clock tick ms, 10 clock (0 none, 1 sntp, 2 rtc), 11 network (0 none,
/// 1 wifi, 2 ethernet), 12 MTU, 13 LED GPIO, 14 peers, 15 observers, 16 crypto (0 Core's managed code, 1 the board's
/// native AES and HMAC), and optionally 17 the SNTP server (tstr), 18 the ACE profiles served (1 coap_oscore, 2 coap_dtls,
/// 3 both; default 1), 19 DTLS sessions and 20 the DTLS handshake pool (both required when 18 names coap_dtls, absent
/// otherwise). Every entry but 17..20 is required and range-checked; anything else refuses the record (a device must not
/// run on half a configuration).
/// </summary>
public sealed class DeviceBoardSettings
{
    /// <summary>Clock value: no clock; exi tokens only (RFC 9200 §5.10.3).</summary>
    public const int ClockNone = 0;

    /// <summary>Clock value: the wall time comes from SNTP (RFC 4330) after the network is up.</summary>
    public const int ClockSntp = 1;

    /// <summary>Clock value: a battery-backed real-time clock.</summary>
    public const int ClockRtc = 2;

    /// <summary>Network value: none.</summary>
    public const int NetworkNone = 0;

    /// <summary>Network value: Wi-Fi (credentials in <see cref="DeviceRecords.WifiCredentials"/>).</summary>
    public const int NetworkWifi = 1;

    /// <summary>Network value: Ethernet.</summary>
    public const int NetworkEthernet = 2;

    /// <summary>The SNTP server used when the record names none.</summary>
    public const string DefaultSntpServer = "pool.ntp.org";

    /// <summary>Profiles value: the coap_oscore profile only (RFC 9203).</summary>
    public const int ProfileOscore = 1;

    /// <summary>Profiles value: the coap_dtls profile only (RFC 9202, PSK mode).</summary>
    public const int ProfileDtls = 2;

    /// <summary>Profiles value: both profiles.</summary>
    public const int ProfileBoth = 3;

    /// <summary>The most bytes an encoded record takes (two strings of at most 253 characters and 18 small integers).</summary>
    public const int MaxEncodedLength = 1664;

    private const int KeyBoard = 1;
    private const int KeySntpServer = 17;
    private const int KeyProfiles = 18;
    private const int KeyDtlsSessions = 19;
    private const int KeyDtlsHandshakes = 20;
    private const int LastKey = 20;

    // Ranges per key (index = key); the same as the board profile's (docs/firmware.md, Schema) and AceRsSettings'.
    private static readonly int[] Min = { 0, 0, 1, 32, 64, 0, 100, 1000, 0, 10, 0, 0, 576, 0, 1, 0, 0, 0, 1, 0, 0 };
    private static readonly int[] Max = { 0, 0, 255, 256, 8192, 6, 60000, 4000, 10, 60000, 2, 2, 65535, 1023, 1024, 255, 1, 0, 3, 64, 16 };

    private readonly int[] _values = new int[LastKey + 1];

    /// <summary>Creates settings with every value at the lowest of its range; set each before encoding.</summary>
    public DeviceBoardSettings()
    {
        for (int k = KeyBoard + 1; k <= LastKey; k++)
        {
            _values[k] = Min[k];
        }

        Board = string.Empty;
        SntpServer = DefaultSntpServer;
    }

    /// <summary>The board profile's name (e.g. esp32-c3), for the log.</summary>
    public string Board { get; set; }

    /// <summary>Token slots (<see cref="AceRsSettings.Slots"/>).</summary>
    public int Slots { get { return _values[2]; } set { _values[2] = value; } }

    /// <summary>The OSCORE replay window in bits (32..256, a multiple of 32).</summary>
    public int ReplayWindow { get { return _values[3]; } set { _values[3] = value; } }

    /// <summary>The largest token accepted at /authz-info.</summary>
    public int MaxTokenBytes { get { return _values[4]; } set { _values[4] = value; } }

    /// <summary>The largest block size exponent (RFC 7959 §2.2).</summary>
    public int BlockSzx { get { return _values[5]; } set { _values[5] = value; } }

    /// <summary>ACK_TIMEOUT in ms (RFC 7252 §4.8).</summary>
    public int AckTimeoutMs { get { return _values[6]; } set { _values[6] = value; } }

    /// <summary>ACK_RANDOM_FACTOR in thousandths (RFC 7252 §4.8).</summary>
    public int AckRandomFactorPermille { get { return _values[7]; } set { _values[7] = value; } }

    /// <summary>MAX_RETRANSMIT (RFC 7252 §4.8).</summary>
    public int MaxRetransmit { get { return _values[8]; } set { _values[8] = value; } }

    /// <summary>How often the runtime reads the clock to expire tokens, in ms.</summary>
    public int ClockTickMs { get { return _values[9]; } set { _values[9] = value; } }

    /// <summary><see cref="ClockNone"/>, <see cref="ClockSntp"/> or <see cref="ClockRtc"/>.</summary>
    public int Clock { get { return _values[10]; } set { _values[10] = value; } }

    /// <summary><see cref="NetworkNone"/>, <see cref="NetworkWifi"/> or <see cref="NetworkEthernet"/>.</summary>
    public int Network { get { return _values[11]; } set { _values[11] = value; } }

    /// <summary>The network MTU (RFC 7252 §4.6).</summary>
    public int Mtu { get { return _values[12]; } set { _values[12] = value; } }

    /// <summary>The LED's GPIO number.</summary>
    public int LedPin { get { return _values[13]; } set { _values[13] = value; } }

    /// <summary>How many CoAP peers the runtime tracks at once.</summary>
    public int MaxPeers { get { return _values[14]; } set { _values[14] = value; } }

    /// <summary>How many observations of /temp the runtime keeps.</summary>
    public int MaxObservers { get { return _values[15]; } set { _values[15] = value; } }

    /// <summary>True: the board's native AES-ECB and HMAC-SHA256; false: Core's managed code (docs/firmware.md, crypto path).</summary>
    public bool NativeCrypto { get { return _values[16] == 1; } set { _values[16] = value ? 1 : 0; } }

    /// <summary>The SNTP server's host name or address.</summary>
    public string SntpServer { get; set; }

    /// <summary>The ACE profiles the device serves: <see cref="ProfileOscore"/>, <see cref="ProfileDtls"/> or <see cref="ProfileBoth"/>.</summary>
    public int Profiles { get { return _values[KeyProfiles]; } set { _values[KeyProfiles] = value; } }

    /// <summary>Whether the device serves the coap_dtls profile (RFC 9202) over DTLS on the coaps port.</summary>
    public bool ServesDtls
    {
        get { return (Profiles & ProfileDtls) != 0; }
    }

    /// <summary>DTLS sessions, established and handshaking together (1..64 with coap_dtls, else 0).</summary>
    public int DtlsSessions { get { return _values[KeyDtlsSessions]; } set { _values[KeyDtlsSessions] = value; } }

    /// <summary>The DTLS handshake pool, also the cap on half-open handshakes (1..sessions with coap_dtls, else 0).</summary>
    public int DtlsHandshakes { get { return _values[KeyDtlsHandshakes]; } set { _values[KeyDtlsHandshakes] = value; } }

    /// <summary>
    /// The device runtime's settings these board settings give, the one mapping the firmware runs and
    /// <c>popiot device budget</c> measures (docs/firmware.md, "Device budgets"): the engine's, the message layer's,
    /// the peer and observer tables, the clock tick, and the DTLS engine when the board serves coap_dtls.
    /// </summary>
    /// <param name="audience">The RS's audience (from the configuration record).</param>
    /// <param name="asUri">The AS URI (from the configuration record).</param>
    /// <returns>New settings; the caller validates them.</returns>
    public DeviceRuntimeSettings ToRuntimeSettings(string audience, string asUri)
    {
        var s = new DeviceRuntimeSettings();
        s.Ace = ToAceRsSettings(audience, asUri);
        s.Ace.ServesOscore = (Profiles & ProfileOscore) != 0;
        s.Ace.ServesDtls = ServesDtls;
        s.Coap = ToCoapSettings();
        s.MaxPeers = MaxPeers;
        s.MaxObservers = MaxObservers;
        s.ClockTickMs = ClockTickMs;
        if (ServesDtls)
        {
            s.Dtls = DeviceRuntimeSettings.DeviceDtls(DeviceRuntimeSettings.MessageSizeFor(Mtu, BlockSzx), DtlsSessions, DtlsHandshakes, MaxTokenBytes, AckTimeoutMs);
        }

        return s;
    }

    /// <summary>The engine settings these board settings give (the same mapping as the simulator's board profile).</summary>
    /// <param name="audience">The RS's audience (from the configuration record).</param>
    /// <param name="asUri">The AS URI (from the configuration record).</param>
    /// <returns>New settings; the caller validates them.</returns>
    public AceRsSettings ToAceRsSettings(string audience, string asUri)
    {
        var s = new AceRsSettings(audience, asUri);
        s.Slots = Slots;
        s.ReplayWindowSize = ReplayWindow;
        s.MaxTokenSize = MaxTokenBytes;
        s.MaxBlockSzx = BlockSzx;
        s.MaxMessageSize = DeviceRuntimeSettings.MessageSizeFor(Mtu, BlockSzx);
        s.MaxResources = DeviceRuntimeSettings.DeviceMaxResources;
        s.HasClock = Clock != ClockNone;
        return s;
    }

    /// <summary>The device's message layer (<see cref="DeviceRuntimeSettings.DeviceCoap"/>) with this board's message size and transmission parameters (RFC 7252 §4.8).</summary>
    /// <returns>New settings.</returns>
    public CoapSettings ToCoapSettings()
    {
        CoapSettings c = DeviceRuntimeSettings.DeviceCoap(DeviceRuntimeSettings.MessageSizeFor(Mtu, BlockSzx));
        c.AckTimeoutMs = AckTimeoutMs;
        c.AckRandomFactorPermille = AckRandomFactorPermille;
        c.MaxRetransmit = MaxRetransmit;
        return c;
    }

    /// <summary>Checks every value against its range.</summary>
    /// <param name="field">The key of the first bad entry, or 0.</param>
    /// <returns><see cref="DeviceRecordError.None"/> or <see cref="DeviceRecordError.OutOfRange"/>.</returns>
    public DeviceRecordError Validate(out int field)
    {
        field = 0;
        if (!TextOk(Board))
        {
            field = KeyBoard;
            return DeviceRecordError.OutOfRange;
        }

        for (int k = KeyBoard + 1; k <= LastKey; k++)
        {
            if (k != KeySntpServer && (_values[k] < Min[k] || _values[k] > Max[k] || (k == 3 && _values[k] % 32 != 0)))
            {
                field = k;
                return DeviceRecordError.OutOfRange;
            }
        }

        if (!TextOk(SntpServer))
        {
            field = KeySntpServer;
            return DeviceRecordError.OutOfRange;
        }

        // A DTLS engine needs a session and a handshake, at most one handshake per session; without coap_dtls none.
        bool dtls = ServesDtls;
        if (dtls ? DtlsSessions < 1 : DtlsSessions != 0)
        {
            field = KeyDtlsSessions;
            return DeviceRecordError.OutOfRange;
        }

        if (dtls ? DtlsHandshakes < 1 || DtlsHandshakes > DtlsSessions : DtlsHandshakes != 0)
        {
            field = KeyDtlsHandshakes;
            return DeviceRecordError.OutOfRange;
        }

        return DeviceRecordError.None;
    }

    /// <summary>Writes the record.</summary>
    /// <param name="buffer">Where it goes.</param>
    /// <param name="offset">The first byte.</param>
    /// <param name="count">The room (<see cref="MaxEncodedLength"/> always suffices).</param>
    /// <returns>The record's length.</returns>
    /// <exception cref="ArgumentException">A value is out of range (the message names its key), or the room is too small.</exception>
    public int Encode(byte[] buffer, int offset, int count)
    {
        int field;
        if (Validate(out field) != DeviceRecordError.None)
        {
            throw new ArgumentException("board settings: entry " + field + " is out of range");
        }

        // An OSCORE-only record is written without 18..20, as before the coap_dtls entries existed.
        bool oscoreOnly = Profiles == ProfileOscore;
        var w = new CborWriter(buffer, offset, count);
        w.WriteStartMap(oscoreOnly ? KeySntpServer : LastKey);
        w.WriteInt32(KeyBoard);
        w.WriteTextString(Board);
        for (int k = KeyBoard + 1; k < KeySntpServer; k++)
        {
            w.WriteInt32(k);
            w.WriteInt32(_values[k]);
        }

        w.WriteInt32(KeySntpServer);
        w.WriteTextString(SntpServer);
        for (int k = KeyProfiles; k <= LastKey && !oscoreOnly; k++)
        {
            w.WriteInt32(k);
            w.WriteInt32(_values[k]);
        }

        return w.BytesWritten;
    }

    /// <summary>Reads a record.</summary>
    /// <param name="buffer">The record.</param>
    /// <param name="offset">Its first byte.</param>
    /// <param name="count">Its length.</param>
    /// <param name="settings">The settings, or null unless the result is <see cref="DeviceRecordError.None"/>.</param>
    /// <param name="field">The key of the missing or bad entry, or 0.</param>
    /// <returns>Why it was refused, or <see cref="DeviceRecordError.None"/>.</returns>
    public static DeviceRecordError Parse(byte[] buffer, int offset, int count, out DeviceBoardSettings settings, out int field)
    {
        settings = null;
        field = 0;
        if (buffer == null || offset < 0 || count < 0 || count > buffer.Length - offset)
        {
            return DeviceRecordError.Malformed;
        }

        var s = new DeviceBoardSettings();
        var r = new CborReader(buffer, offset, count, 2) { ThrowOnError = false };
        int seen = 0;
        r.ReadStartMap();
        while (r.Error == CborError.None && r.HasNext())
        {
            if (r.PeekState() != CborReaderState.UnsignedInteger)
            {
                return DeviceRecordError.Malformed;
            }

            int key = r.ReadInt32();
            if (key < KeyBoard || key > LastKey || (seen & (1 << key)) != 0)
            {
                field = key;
                return DeviceRecordError.Malformed;
            }

            seen |= 1 << key;
            CborReaderState expected = key == KeyBoard || key == KeySntpServer ? CborReaderState.TextString : CborReaderState.UnsignedInteger;
            if (r.PeekState() != expected)
            {
                field = key;
                return DeviceRecordError.Malformed;
            }

            if (key == KeyBoard)
            {
                s.Board = r.ReadTextString();
            }
            else if (key == KeySntpServer)
            {
                s.SntpServer = r.ReadTextString();
            }
            else if (r.PeekState() == CborReaderState.UnsignedInteger && !FitsInt(r))
            {
                field = key;
                return DeviceRecordError.OutOfRange;
            }
            else
            {
                s._values[key] = r.ReadInt32();
            }
        }

        r.ReadEndMap();
        if (r.Error != CborError.None || r.PeekState() != CborReaderState.Finished)
        {
            return DeviceRecordError.Malformed;
        }

        for (int k = KeyBoard; k < KeySntpServer; k++)
        {
            if ((seen & (1 << k)) == 0)
            {
                field = k;
                return DeviceRecordError.MissingField;
            }
        }

        // coap_dtls needs its engine's sizes: a record naming the profile without them is half a configuration.
        for (int k = KeyDtlsSessions; k <= LastKey && s.ServesDtls; k++)
        {
            if ((seen & (1 << k)) == 0)
            {
                field = k;
                return DeviceRecordError.MissingField;
            }
        }

        DeviceRecordError e = s.Validate(out field);
        if (e == DeviceRecordError.None)
        {
            settings = s;
        }

        return e;
    }

    // An unsigned integer above int.MaxValue would make ReadInt32 set the reader's error: report it as out of range.
    private static bool FitsInt(CborReader r)
    {
        int at;
        int length;
        var probe = new CborReader(r.Buffer, r.Position, r.BytesRemaining, 1) { ThrowOnError = false };
        probe.ReadEncodedValue(out at, out length);
        return length <= 5 && (length < 5 || (r.Buffer[at + 1] & 0x80) == 0);
    }

    private static bool TextOk(string s)
    {
        return s != null && s.Length > 0 && s.Length <= 253;
    }
}
