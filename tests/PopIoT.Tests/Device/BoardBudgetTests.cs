using PopIoT.Core.Device;
using PopIoT.Device;
using Xunit;

namespace PopIoT.Tests.Device;

/// <summary>
/// Every board profile states the ACE profiles it runs ("profiles", docs/firmware.md "Device budgets"), and the budget
/// proves it: each stated choice fits the board's heap share in nanoFramework's layout, and each left out does not, so
/// the list is exactly what fits. The budget measures the runtime the firmware builds from the provisioned record.
/// </summary>
public sealed class BoardBudgetTests
{
    public static TheoryData<string, string> Choices()
    {
        var data = new TheoryData<string, string>();
        foreach (string name in BoardProfiles.Names)
        {
            foreach (string choice in BoardProfile.ProfileChoices)
            {
                data.Add(name, choice);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Choices))]
    public void Each_stated_profile_fits_its_share_and_each_left_out_does_not(string board, string choice)
    {
        BoardProfile p = BoardProfiles.Load(board);
        RuntimeHeap heap = NanoHeapModel.MeasureRuntime(p.ToRuntimeSettings("coap://device", "coap://as.example/token", choice));
        bool stated = p.Profiles.Contains(choice);

        Assert.True(
            stated == heap.TotalBytes <= p.PopIotHeapBytes,
            board + " " + choice + ": " + heap.TotalBytes + " B against a share of " + p.PopIotHeapBytes + " B, but the profile " + (stated ? "states" : "leaves out") + " it");
    }

    [Fact]
    public void The_budget_measures_the_runtime_the_firmware_builds_from_the_provisioned_record()
    {
        foreach (string name in BoardProfiles.Names)
        {
            BoardProfile p = BoardProfiles.Load(name);
            foreach (string choice in BoardProfile.ProfileChoices)
            {
                DeviceBoardSettings record = p.ToBoardSettings(choice, null);
                byte[] b = new byte[DeviceBoardSettings.MaxEncodedLength];
                int n = record.Encode(b, 0, b.Length);
                Assert.Equal(DeviceRecordError.None, DeviceBoardSettings.Parse(b, 0, n, out DeviceBoardSettings? onBoard, out _));
                DeviceRuntimeSettings firmware = onBoard!.ToRuntimeSettings("coap://device", "coap://as.example/token");
                DeviceRuntimeSettings budget = p.ToRuntimeSettings("coap://device", "coap://as.example/token", choice);

                Assert.Equal(NanoHeapModel.MeasureRuntime(budget).TotalBytes, NanoHeapModel.MeasureRuntime(firmware).TotalBytes);
                Assert.Equal((budget.MaxPeers, budget.MaxObservers, budget.Dtls?.MaxSessions), (firmware.MaxPeers, firmware.MaxObservers, firmware.Dtls?.MaxSessions));
            }
        }
    }
}
