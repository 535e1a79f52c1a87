using System.Text;
using SandboxRt.IntegrationTests.Support;
using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Containers;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.IntegrationTests.Vm;

/// <summary>
/// A pod's VM through the runtime's sandbox API (what the shim's pod calls when containers join and
/// leave): grown by a container's limits (vCPU and DIMM hot-plug), then shrunk back when it leaves
/// (device_del, the guest ejects; vCPUs only under KVM). What the guest sees is read inside it, from a
/// container, by exec.
/// The shim's own path (a CRI container deleted from a running pod) is CriPodTests' sized pod.
/// </summary>
[Trait("Tier", "vm")]
public sealed class VmResizeTests
{
    private static readonly LinuxResources Limits = new()
    {
        Memory = new LinuxMemory { Limit = 512L << 20 },
        Cpu = new LinuxCpu { Quota = 100_000, Period = 100_000 },
    };

    [Fact]
    public async Task A_vm_grown_for_a_container_with_limits_gives_the_cpu_and_memory_back_when_it_leaves()
    {
        TestEnvironment.RequireVmPrerequisites();
        // the VM grows to at most the host's CPUs: on a one-CPU host the limits add memory only
        int grownCpus = Math.Min(2, Environment.ProcessorCount);
        string grownOnline = grownCpus == 2 ? "0-1" : "0";
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s => s.Process!.Args = ["sh", "-c", "while true; do sleep 1; done"]);
        var id = "rs-" + Guid.NewGuid().ToString("N")[..8];
        var config = VmTestConfig.Load();
        await using var sandbox = await Sandbox.StartAsync(new SandboxStartOptions(id, state.Path, config) { WithSharedDirectory = true }, TestLog.Instance);
        await sandbox.Agent.CreateContainerAsync(id, BundleSpecRewriter.ForGuest(bundle.Spec, bundle.Directory, id, sandbox.Shared!), stdin: false);
        await sandbox.Agent.StartContainerAsync(id);
        int execs = 0;
        async Task<(long MemTotalKiB, string Online)> GuestAsync()
        {
            var exec = new Process { Args = ["sh", "-c", "grep MemTotal /proc/meminfo; cat /sys/devices/system/cpu/online"], Env = ["PATH=/bin:/usr/bin"], Cwd = "/" };
            var execId = $"probe{++execs}";
            await sandbox.Agent.ExecAsync(id, execId, exec, stdin: false);
            var output = new StringBuilder();
            await foreach (var chunk in sandbox.Agent.ReadOutputAsync(id, execId, stderr: false))
                output.Append(Encoding.UTF8.GetString(chunk.Span));
            Assert.Equal(0, (await sandbox.Agent.WaitAsync(id, execId)).Status);
            var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return (long.Parse(lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]), lines[1].Trim());
        }

        var before = await GuestAsync();
        Assert.Equal("0", before.Online);
        var boot = sandbox.Size;

        await sandbox.GrowAsync(VmSize.ForPod([null, Limits], config));
        Assert.Equal(new VmSize(grownCpus, boot.MemoryMib + 512), sandbox.Size);
        var joined = await GuestAsync();
        Assert.Equal(grownOnline, joined.Online);
        Assert.InRange((joined.MemTotalKiB - before.MemTotalKiB) / 1024, 500, 520);

        // the container with limits leaves: the pod needs the default again
        try
        {
            await sandbox.ShrinkAsync(VmSize.ForPod([null], config));
        }
        catch (Exception) when (Diagnose(sandbox))
        {
            throw;
        }
        // QEMU deleted the DIMM (and, but under TCG, the vCPU): the guest ejected them. Under TCG the vCPU
        // stays plugged and online: QEMU 7.2 cannot unplug one safely there (QemuHotplug says why).
        TestContext.Current.TestOutputHelper?.WriteLine($"MemTotal before {before.MemTotalKiB} KiB, joined {joined.MemTotalKiB} KiB");
        bool tcg = HypervisorFactory.Create(config).Capabilities.Accelerator.IsTcg;
        var (vcpusLeft, onlineLeft) = tcg ? (grownCpus, grownOnline) : (1, "0");
        Assert.Equal(boot with { Vcpus = vcpusLeft }, sandbox.Size);
        (long MemTotalKiB, string Online) left = default;
        await Condition.WaitAsync(async () => (left = await GuestAsync()).Online == onlineLeft && Math.Abs(left.MemTotalKiB - before.MemTotalKiB) < 8 * 1024,
            $"the guest back at {before.MemTotalKiB} KiB with CPUs {onlineLeft} online (last seen: {left.MemTotalKiB} KiB, CPUs {left.Online})");
        TestContext.Current.TestOutputHelper?.WriteLine($"MemTotal after the shrink {left.MemTotalKiB} KiB, CPUs {left.Online}");

        // what was given back can be taken again
        await sandbox.GrowAsync(VmSize.ForPod([null, Limits], config));
        Assert.Equal(grownOnline, (await GuestAsync()).Online);
        Assert.Equal(new VmSize(grownCpus, boot.MemoryMib + 512), sandbox.Size);
    }

    /// <summary>Writes how the VM ended (when it did), the guest console's tail and QEMU's own output to the test log; never catches.</summary>
    private static bool Diagnose(Sandbox sandbox)
    {
        var log = TestContext.Current.TestOutputHelper;
        if (sandbox.Vm.Exited.IsCompleted)
            log?.WriteLine("VM: " + sandbox.Vm.Exited.Result);
        foreach (var file in new[] { sandbox.Vm.ConsoleLogPath, sandbox.Vm.HypervisorLogPath })
            if (File.Exists(file))
                log?.WriteLine($"--- {file}\n" + string.Join('\n', File.ReadLines(file).TakeLast(40)));
        return false;
    }
}
