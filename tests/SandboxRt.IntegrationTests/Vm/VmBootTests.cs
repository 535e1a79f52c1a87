using SandboxRt.IntegrationTests.Support;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Channels;
using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.IntegrationTests.Vm;

/// <summary>Boots the real guest image under QEMU (TCG here) and talks to the agent inside.</summary>
[Trait("Tier", "vm")]
public sealed class VmBootTests
{
    [Fact]
    public async Task The_microvm_machine_type_boots_too()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-vm");
        var config = VmTestConfig.Load(new() { ["machine_type"] = "microvm" });
        await using var sandbox = await Sandbox.StartAsync(new SandboxStartOptions("micro-" + Guid.NewGuid().ToString("N")[..8], state.Path, config), TestLog.Instance);
        var details = await sandbox.Agent.GuestDetailsAsync();
        Assert.Equal("virtio-serial", details.Transport);
        Assert.Equal(TestEnvironment.ImageModules, details.LoadedModules); // virtio_mmio among them with Debian's kernel
        TestContext.Current.TestOutputHelper?.WriteLine($"microvm: agent answered {sandbox.BootTime.TotalMilliseconds:F0} ms after launch");
    }

    [Fact]
    public async Task The_guest_boots_and_its_agent_answers_over_the_guest_channel()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-vm");
        var id = "vm-" + Guid.NewGuid().ToString("N")[..8];
        var sandbox = await Sandbox.StartAsync(new SandboxStartOptions(id, state.Path, VmTestConfig.Load()), TestLog.Instance, TestContext.Current.CancellationToken);
        int pid = sandbox.Vm.Pid;
        string stateDir = sandbox.StateDirectory;
        GuestDetails details;
        try
        {
            Assert.True(await sandbox.Agent.CheckAsync());
            details = await sandbox.Agent.GuestDetailsAsync();
            var version = await sandbox.Agent.VersionAsync();
            Assert.Equal("sandboxrt.agent.v1", version.ApiVersion);

            Assert.NotEqual(TestEnvironment.HostKernelRelease, details.KernelRelease);
            Assert.StartsWith("6.1.", details.KernelRelease);
            Assert.Equal("virtio-serial", details.Transport);
            Assert.Equal(1, details.Cpus);
            Assert.InRange(details.MemoryTotalBytes, 300UL << 20, 512UL << 20);
            // every module the image carries was loaded (none with the SandboxRt kernel: all built in)
            Assert.Equal(TestEnvironment.ImageModules, details.LoadedModules);
            Assert.True(details.AgentStart <= details.SystemReady && details.SystemReady <= details.Serving);
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"boot to agent ready: {sandbox.BootTime.TotalMilliseconds:F0} ms wall; guest: agent start {details.AgentStart.TotalMilliseconds} ms, serving {details.Serving.TotalMilliseconds} ms");

            // The guest console is a file in the state directory and carries the agent's lines (a VM
            // restored from a template served before its console was ours: it logs the reseed instead).
            var agentLine = sandbox.Vm.Start.FromTemplate ? "sandboxrt-agent info: reseeded after restore" : "sandboxrt-agent info: serving virtio-serial";
            await Condition.WaitAsync(() => File.ReadAllLines(sandbox.Vm.ConsoleLogPath).Any(l => l.Contains(agentLine)), $"the console's \"{agentLine}\" line"); // the serial console trails the guest

            // A second host connection (as a later CLI invocation makes) reaches the same agent once the
            // first has detached: the serial channel hands the port over.
            sandbox.Agent.Dispose();
            var socket = ((SerialChannelConnector)sandbox.Vm.AgentConnector).SocketPath; // the channel itself; the token is in the state directory
            using var again = new AgentClient(new AuthenticatingConnector(new SerialChannelConnector(socket), AgentToken.Load(stateDir)));
            var second = await again.GuestDetailsAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(details.BootId, second.BootId);
        }
        finally
        {
            await sandbox.StopAsync();
        }

        Assert.False(Directory.Exists(stateDir), "the state directory is removed");
        Assert.False(Directory.Exists(SandboxRt.Runtime.Storage.SocketDirectory.For(stateDir)), "the socket directory is removed");
        Assert.False(SandboxRt.Interop.ChildProcesses.Exists(pid), $"QEMU (pid {pid}) is gone");
        Assert.Empty(ProcessTable.Find($"sandboxrt-{id}"));
    }
}
