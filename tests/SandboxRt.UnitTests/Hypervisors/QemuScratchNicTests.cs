using System.Text.Json.Nodes;
using SandboxRt.Runtime.Hypervisors.Qemu;
using SandboxRt.UnitTests.Fakes;
using static SandboxRt.UnitTests.Fakes.FakeQmpServer;

namespace SandboxRt.UnitTests.Hypervisors;

/// <summary>
/// A VM cache's warm-up NIC against a fake QEMU: plugged with no backend, the warm-up runs while it is
/// there, and it is unplugged whatever the warm-up did; a guest that will not let it go is named.
/// </summary>
[Trait("Tier", "unit")]
public sealed class QemuScratchNicTests : IDisposable
{
    private static readonly byte[] Mac = [0x02, 0x53, 0x52, 0x54, 0x00, 0x01];
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static IEnumerable<JsonObject> Guest(string command, JsonObject? arguments, bool refuses)
    {
        yield return Return();
        if (command != "device_del")
            yield break;
        var id = (string)arguments!["id"]!;
        var ost = (int status) => Event("ACPI_DEVICE_OST", new JsonObject
        {
            ["info"] = new JsonObject { ["device"] = id, ["slot"] = "0", ["slot-type"] = "PCI", ["source"] = 3, ["status"] = status },
        });
        yield return ost(0x84); // eject in progress
        yield return refuses ? ost(0x82) : Event("DEVICE_DELETED", new JsonObject { ["device"] = id, ["path"] = "/machine/peripheral/" + id });
    }

    private async Task<(string? Kept, List<string> Commands, List<string> DuringWarmUp)> RunAsync(bool refuses)
    {
        await using var server = new FakeQmpServer(Path.Combine(_dir.Path, "qmp.sock"), (c, a) => Guest(c, a, refuses));
        List<string> during = [];
        await using var qmp = await QmpClient.ConnectAsync(server.Path, CancellationToken.None);
        var kept = await QemuHotplug.WithScratchNicAsync(qmp, "sandboxrt-port3", Mac, () =>
        {
            lock (server.Commands)
                during.AddRange(server.Commands);
            return Task.CompletedTask;
        }, CancellationToken.None);
        lock (server.Commands)
            return (kept, [.. server.Commands], during);
    }

    [Fact]
    public async Task The_nic_is_plugged_without_a_backend_for_the_warm_up_and_unplugged_after_it()
    {
        var (kept, commands, during) = await RunAsync(refuses: false);
        Assert.Null(kept);
        Assert.Equal(["""device_add {"driver":"virtio-net-pci","id":"sandboxrt-scratch-nic","mac":"02:53:52:54:00:01","bus":"sandboxrt-port3"}"""], during);
        Assert.Equal([.. during, """device_del {"id":"sandboxrt-scratch-nic"}"""], commands);
    }

    [Fact]
    public async Task A_failing_warm_up_still_unplugs_the_nic_and_its_error_is_the_one_thrown()
    {
        await using var server = new FakeQmpServer(Path.Combine(_dir.Path, "qmp.sock"), (c, a) => Guest(c, a, refuses: false));
        await using (var qmp = await QmpClient.ConnectAsync(server.Path, CancellationToken.None))
        {
            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => QemuHotplug.WithScratchNicAsync(qmp, "sandboxrt-port0", Mac,
                () => throw new InvalidOperationException("the agent failed"), CancellationToken.None));
            Assert.Equal("the agent failed", e.Message);
        }
        lock (server.Commands)
            Assert.Equal("""device_del {"id":"sandboxrt-scratch-nic"}""", server.Commands[^1]);
    }

    [Fact]
    public async Task A_guest_that_refuses_to_let_the_nic_go_is_named()
    {
        var (kept, _, _) = await RunAsync(refuses: true);
        Assert.StartsWith("the guest refused to eject it (ACPI _OST status 0x82", kept);
    }
}
