using System;

using PopIoT.Core.Coap;

using Xunit;

namespace PopIoT.Core.Tests.Coap;

/// <summary>Routing by Uri-Path (RFC 7252 §6.4): 4.04, 4.05, and /.well-known/core in RFC 6690 link format.</summary>
public class ResourceTableTests
{
    private static ResourceTable Table()
    {
        var table = new ResourceTable(8, 512);
        table.Add(new CoapResource("/sensors/temp", CoapMethods.Get, new FixedHandler(CoapCode.Content, "22.3 C"))
        {
            ResourceType = "temperature-c",
            InterfaceDescription = "sensor",
            ContentFormat = CoapContentFormat.TextPlain,
            Observable = true,
        });
        table.Add(new CoapResource("/authz-info", CoapMethods.Post, new FixedHandler(CoapCode.Created, ""))
        {
            ContentFormat = CoapContentFormat.AceCbor,
        });
        table.Add(new CoapResource("/", CoapMethods.Get, new FixedHandler(CoapCode.Content, "root")));
        return table;
    }

    private static (byte Code, string Payload, CoapMessage Response) Request(ResourceTable table, byte method, string path)
    {
        var request = new CoapMessage { Code = method };
        request.AddUriPath(path);
        var response = new CoapMessage();
        Assert.Equal(CoapHandlerResult.Respond, table.HandleRequest(1, request, response));
        string payload = response.PayloadLength == 0 ? "" : System.Text.Encoding.UTF8.GetString(response.PayloadBuffer, response.PayloadOffset, response.PayloadLength);
        return (response.Code, payload, response);
    }

    [Fact]
    public void Routes_by_path_and_method()
    {
        ResourceTable table = Table();
        var temp = Request(table, CoapCode.Get, "/sensors/temp");
        Assert.Equal((CoapCode.Content, "22.3 C"), (temp.Code, temp.Payload));
        Assert.Equal(CoapCode.MethodNotAllowed, Request(table, CoapCode.Put, "/sensors/temp").Code);
        Assert.Equal(CoapCode.Created, Request(table, CoapCode.Post, "/authz-info").Code);
        Assert.Equal(CoapCode.MethodNotAllowed, Request(table, CoapCode.Get, "/authz-info").Code);
        Assert.Equal(CoapCode.NotFound, Request(table, CoapCode.Get, "/sensors").Code);
        Assert.Equal(CoapCode.NotFound, Request(table, CoapCode.Get, "/sensors/temp/x").Code);
        Assert.Equal(CoapCode.NotFound, Request(table, CoapCode.Get, "/Sensors/temp").Code);
        Assert.Equal("root", Request(table, CoapCode.Get, "/").Payload);
    }

    [Fact]
    public void A_request_with_an_oscore_option_that_no_oscore_layer_removed_gets_4_02_and_the_handler_does_not_run()
    {
        // RFC 8613 §2: the OSCORE option is critical. A request that reaches the resources still carrying it was not
        // verified by any OSCORE layer, so the option is one the server does not process: RFC 7252 §5.4.1 says 4.02.
        var handler = new FixedHandler(CoapCode.Content, "22.3 C");
        var table = new ResourceTable(2, 128);
        table.Add(new CoapResource("/sensors/temp", CoapMethods.Get, handler));
        var request = new CoapMessage { Code = CoapCode.Get };
        request.AddUriPath("/sensors/temp");
        request.AddOption(CoapOptionNumber.Oscore, [0x09, 0x01], 0, 2);
        var response = new CoapMessage();
        Assert.Equal(CoapHandlerResult.Respond, table.HandleRequest(1, request, response));
        Assert.Equal(CoapCode.BadOption, response.Code);
        Assert.Equal(0, handler.Calls);

        // The same through a plain message layer in front of the table (a server with no OSCORE context at all).
        var layer = new MessageLayer(new CoapSettings(), new SeededRandomSource(3), table, null);
        byte[] datagram = Hex.Parse("4101" + "0101" + "aa" + "92" + "0901" + "27" + Hex.Ascii("sensors") + "04" + Hex.Ascii("temp"));
        layer.Receive(datagram, 0, datagram.Length, 1, 0);
        byte[] reply = new byte[64];
        Assert.True(layer.TryTakeOutgoing(reply, 0, out int n, out _));
        Assert.Equal("6182" + "0101" + "aa", Hex.Of(reply, 0, n));
        Assert.Equal(0, handler.Calls);
    }

    [Fact]
    public void Well_known_core_lists_every_resource_in_link_format()
    {
        var (code, payload, response) = Request(Table(), CoapCode.Get, "/.well-known/core");
        Assert.Equal(CoapCode.Content, code);
        Assert.Equal("</sensors/temp>;rt=\"temperature-c\";if=\"sensor\";ct=0;obs,</authz-info>;ct=19,</>", payload);
        Assert.True(response.TryGetUint(CoapOptionNumber.ContentFormat, out uint cf));
        Assert.Equal((uint)CoapContentFormat.LinkFormat, cf);
        Assert.Equal(CoapCode.MethodNotAllowed, Request(Table(), CoapCode.Post, "/.well-known/core").Code);
    }

    [Fact]
    public void Well_known_core_is_sliced_with_block2_when_large()
    {
        ResourceTable table = Table();
        table.MaxSzx = 0;
        var request = new CoapMessage { Code = CoapCode.Get };
        request.AddUriPath("/.well-known/core");
        var response = new CoapMessage();
        table.HandleRequest(1, request, response);
        Assert.Equal(16, response.PayloadLength);
        Assert.True(response.TryGetUint(CoapOptionNumber.Block2, out uint block2));
        Assert.Equal(BlockOption.Encode(0, true, 0), block2);
        Assert.True(response.TryGetUint(CoapOptionNumber.Size2, out uint size2));
        Assert.Equal((uint)table.LinkFormatLength, size2);
    }

    [Fact]
    public void Through_the_message_layer_unknown_path_is_4_04()
    {
        var pair = new CoapPair(Table());
        var get = new CoapMessage { Code = CoapCode.Get };
        get.AddUriPath("/nothing");
        pair.Client.SendRequest(CoapPair.ServerPeer, get, 0, out _);
        pair.Pump(0);
        Assert.Equal(CoapCode.NotFound, Assert.Single(pair.Listener.Responses).Code);
    }

    [Fact]
    public void Full_table_and_oversized_link_document_are_refused()
    {
        var small = new ResourceTable(1, 16);
        Assert.Throws<InvalidOperationException>(() => small.Add(new CoapResource("/a-very-long-path-name", CoapMethods.Get, new FixedHandler(0x45, ""))));
        Assert.Equal(0, small.Count);
        small.Add(new CoapResource("/a", CoapMethods.Get, new FixedHandler(0x45, "")));
        Assert.Throws<InvalidOperationException>(() => small.Add(new CoapResource("/b", CoapMethods.Get, new FixedHandler(0x45, ""))));
        Assert.Equal("</a>", System.Text.Encoding.ASCII.GetString(small.LinkFormatBuffer, 0, small.LinkFormatLength));
    }
}
