using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.HostCgroups;
using SandboxRt.Runtime.Sandboxes;
using SandboxRt.Runtime.State;

namespace SandboxRt.UnitTests.Sandboxes;

/// <summary>A CLI container's VM that others joined (docker run --network container:X) is sized as a pod: X's limits plus every joined container's.</summary>
[Trait("Tier", "unit")]
public sealed class JoinedSandboxSizeTests
{
    private static readonly HypervisorConfig Config = new() { DefaultVcpus = 1, DefaultMemoryMib = 512 };

    [Fact]
    public void The_sandbox_counts_its_own_and_its_joined_containers_limits()
    {
        using var root = new TempDirectory();
        var store = new StateStore(root.Path);
        Save(store, "x", null, memoryMib: 256);
        Save(store, "y", "x", memoryMib: 128, cpus: 1);
        Save(store, "z", "x", memoryMib: 64);
        Save(store, "elsewhere", "w", memoryMib: 4096, cpus: 3);  // joined another sandbox
        Save(store, "w", null, memoryMib: 1024);
        Assert.Equal(new VmSize(2, 512 + 256 + 128 + 64), JoinedSandboxSize.For(store, "x", Config));
        // deleting y gives back its share
        Assert.Equal(new VmSize(1, 512 + 256 + 64), JoinedSandboxSize.For(store, "x", Config, except: "y"));
        Assert.Equal(3, JoinedSandboxSize.Limits(store, "x").Count);
    }

    [Fact]
    public void A_container_without_limits_or_bundle_adds_nothing()
    {
        using var root = new TempDirectory();
        var store = new StateStore(root.Path);
        Save(store, "x", null, memoryMib: null);
        Save(store, "y", "x", memoryMib: null);
        Assert.Equal(new VmSize(1, 512), JoinedSandboxSize.For(store, "x", Config));
    }

    [Fact]
    public void The_vm_runs_on_the_host_cpus_its_containers_name_together_and_a_vm_cache_entry_names_none_without_unpinning_it()
    {
        using var root = new TempDirectory();
        var store = new StateStore(root.Path);
        Save(store, "entry", null, null, vmCacheKey: "k"); // the VM cache entry whose VM x claimed: no container of its own
        Save(store, "x", "entry", null, hostCpus: "1");
        Save(store, "y", "entry", null, hostCpus: "3,5");
        Assert.Equal(new HostCpuset("1,3,5", null), JoinedSandboxSize.Cpuset(store, "entry"));
        // docker update --cpuset-cpus 0 of y: its new list instead of its recorded one
        Assert.Equal(new HostCpuset("0-1", null), JoinedSandboxSize.Cpuset(store, "entry", except: "y", with: new LinuxResources { Cpu = new LinuxCpu { Cpus = "0" } }));
        // y deleted: x's alone; then a container that names none unpins the VM
        Assert.Equal(new HostCpuset("1", null), JoinedSandboxSize.Cpuset(store, "entry", except: "y"));
        Save(store, "z", "entry", null);
        Assert.False(JoinedSandboxSize.Cpuset(store, "entry").IsPinned);
    }

    private static void Save(StateStore store, string id, string? joined, long? memoryMib, long? cpus = null, string? hostCpus = null, string? vmCacheKey = null)
    {
        Directory.CreateDirectory(store.Directory(id));
        store.Save(new ContainerRecord
        {
            Id = id,
            Bundle = "/nonexistent/bundle-" + id,
            Status = ContainerStatus.Running,
            JoinedSandbox = joined,
            VmCacheKey = vmCacheKey,
            Limits = memoryMib is null && cpus is null && hostCpus is null ? null
                : new SizingLimits(memoryMib << 20, cpus * 100_000, cpus is null ? null : 100_000UL, hostCpus),
        });
    }
}
