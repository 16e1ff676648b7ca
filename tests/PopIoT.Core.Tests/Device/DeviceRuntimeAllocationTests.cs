#nullable disable
using System;

using PopIoT.Core.Coap;
using PopIoT.Core.Tests.Ace;

using Xunit;

namespace PopIoT.Core.Tests.Device;

/// <summary>DESIGN.md §4: the device path allocates nothing per request once started, measured through the whole loop.</summary>
[Collection(AceSerialCollection.Name)]
public class DeviceRuntimeAllocationTests
{
    [Fact]
    public void A_protected_get_through_the_runtime_allocates_nothing()
    {
        var rig = new DeviceRuntimeRig();
        Assert.True(rig.Runtime.Start());
        var client = new RuntimeClient(rig, 2, new TokenSpec());
        Assert.Equal(CoapCode.Created, client.Post().Code);

        // The requests are protected before the measurement; the socket's rings are preallocated.
        const int warm = 20;
        const int measured = 100;
        byte[][] requests = new byte[warm + measured][];
        for (int i = 0; i < requests.Length; i++)
        {
            requests[i] = client.Protect(CoapCode.Get, "/temp");
        }

        for (int i = 0; i < warm; i++)
        {
            rig.Socket.Enqueue(2, requests[i]);
            rig.Runtime.RunOnce();
        }

        int sent = rig.Socket.SentCount;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = warm; i < requests.Length; i++)
        {
            rig.Socket.Enqueue(2, requests[i]);
            rig.Runtime.RunOnce();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(sent + measured, rig.Socket.SentCount);
        Assert.Equal(0, allocated);
        Assert.Equal(CoapCode.Content, client.Open(rig.Socket.SentSince(rig.Socket.SentCount - 1)[0], null).Code);
    }
}
