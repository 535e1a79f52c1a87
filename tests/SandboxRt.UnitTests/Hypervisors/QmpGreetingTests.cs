using System.Text.Json.Nodes;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Hypervisors.Qemu;
using SandboxRt.UnitTests.Fakes;

namespace SandboxRt.UnitTests.Hypervisors;

/// <summary>
/// QEMU sends a new QMP client what the monitor kept while no client was connected before its greeting
/// (CI 2026-12-05: an ACPI_DEVICE_OST the guest raised after the previous client's memory hot-plug made
/// `docker update` fail with "not a QMP greeting"). Such events are dropped; anything else is no greeting.
/// </summary>
[Trait("Tier", "unit")]
public sealed class QmpGreetingTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Events_kept_from_before_the_connection_are_dropped_before_the_greeting()
    {
        await using var server = new FakeQmpServer(Path.Combine(_dir.Path, "qmp.sock"), (_, _) => [FakeQmpServer.Return(new JsonObject { ["running"] = true })]);
        server.BeforeGreeting.Add(FakeQmpServer.Event("ACPI_DEVICE_OST", new JsonObject { ["info"] = new JsonObject { ["slot-type"] = "DIMM" } }));
        server.BeforeGreeting.Add(FakeQmpServer.Event("ACPI_DEVICE_OST", new JsonObject { ["info"] = new JsonObject { ["slot-type"] = "CPU" } }));
        await using var qmp = await QmpClient.ConnectAsync(server.Path, TestContext.Current.CancellationToken);
        var status = await qmp.ExecuteAsync("query-status", cancellationToken: TestContext.Current.CancellationToken);
        Assert.True((bool)status!["running"]!);
    }

    [Fact]
    public async Task A_first_message_that_is_neither_an_event_nor_a_greeting_is_refused()
    {
        await using var server = new FakeQmpServer(Path.Combine(_dir.Path, "qmp.sock"), (_, _) => []);
        server.BeforeGreeting.Add(FakeQmpServer.Return());
        var e = await Assert.ThrowsAsync<HypervisorException>(() => QmpClient.ConnectAsync(server.Path, TestContext.Current.CancellationToken));
        Assert.Contains("not a QMP greeting", e.Message);
    }
}
