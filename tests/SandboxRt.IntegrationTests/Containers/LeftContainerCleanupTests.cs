using System.Text.Json;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Containers;

/// <summary>
/// A test that fails between `create` and `delete` must not leave its VM running: the state root it used
/// (a ScratchDirectory) deletes what is recorded in it through the CLI when it is disposed.
/// </summary>
[Trait("Tier", "vm")]
public sealed class LeftContainerCleanupTests
{
    [Fact]
    public async Task A_state_root_disposed_with_a_live_container_in_it_stops_its_vm_and_relay()
    {
        TestEnvironment.RequireVmPrerequisites();
        var state = new ScratchDirectory("srt-state");
        int relay, qemu;
        using (var bundle = new TestBundle(s => s.Process!.Args = ["sleep", "600"]))
        {
            var id = "left-" + Guid.NewGuid().ToString("N")[..8];
            Assert.Equal(0, (await CliRun.RunLeavingRelayAsync(["create", "--bundle", bundle.Directory, id], state.Path)).ExitCode);
            Assert.Equal(0, (await CliRun.RunAsync(["start", id], root: state.Path)).ExitCode);
            var record = JsonDocument.Parse(File.ReadAllText(state.Combine(id, "state.json"))).RootElement;
            relay = record.GetProperty("relay").GetProperty("pid").GetInt32();
            qemu = record.GetProperty("hypervisor").GetProperty("pid").GetInt32();
            Assert.True(Running(qemu));

            state.Dispose(); // as a failing test's `using` does, with the container still running
        }
        Assert.False(Directory.Exists(state.Path));
        Assert.False(Running(relay), "the relay outlived its state root");
        Assert.False(Running(qemu), "QEMU outlived its state root");
    }

    /// <summary>Alive and not a zombie (an exited process nobody has reaped yet is gone for this purpose).</summary>
    private static bool Running(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
