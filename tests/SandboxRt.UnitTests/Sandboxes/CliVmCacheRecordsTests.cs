using Microsoft.Extensions.Logging.Abstractions;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Lifecycle;
using SandboxRt.Runtime.Sandboxes;
using SandboxRt.Runtime.State;
using SandboxRt.Runtime.VmCache;

namespace SandboxRt.UnitTests.Sandboxes;

/// <summary>
/// The CLI's VM cache entries as records of the --root store: a container's VM is an entry's only when
/// the two name each other; entries are not containers to `list`; an entry has the default size; which
/// containers the cache serves.
/// </summary>
[Trait("Tier", "unit")]
public sealed class CliVmCacheRecordsTests
{
    private static readonly HypervisorConfig Config = new() { DefaultVcpus = 1, DefaultMemoryMib = 512 };
    private const string Entry = CliVmCache.EntryIdPrefix + "0123456789ab";

    [Fact]
    public void A_container_runs_in_an_entrys_vm_only_when_the_entry_names_it_back()
    {
        using var root = new TempDirectory();
        var store = new StateStore(root.Path);
        Save(store, new ContainerRecord { Id = Entry, VmCacheKey = "k", ClaimedBy = "y" });
        var y = Save(store, new ContainerRecord { Id = "y", Bundle = "/b/y", JoinedSandbox = Entry });
        var z = Save(store, new ContainerRecord { Id = "z", Bundle = "/b/z", JoinedSandbox = Entry }); // --network container:y
        var x = Save(store, new ContainerRecord { Id = "x", Bundle = "/b/x" });

        Assert.Equal(Entry, CliVmCache.ClaimedEntry(store, y));
        Assert.Equal(store.Directory(Entry), CliVmCache.SandboxDirectory(store, y));
        // z shares y's VM: its delete leaves the VM to y
        Assert.Null(CliVmCache.ClaimedEntry(store, z));
        Assert.Equal(store.Directory("z"), CliVmCache.SandboxDirectory(store, z));
        Assert.Null(CliVmCache.ClaimedEntry(store, x));
        Assert.Equal(store.Directory("x"), CliVmCache.SandboxDirectory(store, x));

        // a record that names an entry which took someone else (a claim that crashed half-way) is not its owner
        var stale = Save(store, new ContainerRecord { Id = "stale", Bundle = "/b/s", JoinedSandbox = Entry });
        Assert.Null(CliVmCache.ClaimedEntry(store, stale));
        // nor is one naming an ordinary container that happens to have the prefix-free id
        Assert.Null(CliVmCache.ClaimedEntry(store, new ContainerRecord { Id = "w", JoinedSandbox = "x" }));
    }

    [Fact]
    public void List_leaves_entries_out_and_an_entry_adds_the_default_size_only()
    {
        using var root = new TempDirectory();
        var store = new StateStore(root.Path);
        Save(store, new ContainerRecord { Id = Entry, VmCacheKey = "k", ClaimedBy = "y", Status = ContainerStatus.Running });
        Save(store, new ContainerRecord { Id = "y", Bundle = "/nonexistent/y", JoinedSandbox = Entry, Limits = new SizingLimits(256L << 20, null, null) });
        var context = new LifecycleContext(store, () => Config, NullLogger.Instance, []);

        Assert.Equal(["y"], QueryOperation.List(context).Select(s => s.Id));
        Assert.Null(JoinedSandboxSize.Of(store.Load(Entry)));
        Assert.Equal(new VmSize(1, 512 + 256), JoinedSandboxSize.For(store, Entry, Config));
    }

    [Fact]
    public void The_cache_serves_a_container_with_a_network_only_when_its_vms_take_nics()
    {
        var templates = Config with { VmCacheNumber = 1, Hypervisor = "qemu", Qemu = Config.Qemu with { VmTemplate = true, MachineType = "q35" } };
        Assert.True(CliVmCache.Suits(templates, "/proc/1/ns/net"));
        Assert.True(CliVmCache.Suits(templates, null));
        var cold = templates with { Qemu = templates.Qemu with { VmTemplate = false } };
        Assert.False(CliVmCache.Suits(cold, "/proc/1/ns/net"));
        Assert.True(CliVmCache.Suits(cold, null));
        Assert.False(CliVmCache.Suits(templates with { VmCacheNumber = 0 }, null));
        Assert.True(CliVmCache.IsEntryId(Entry));
        Assert.False(CliVmCache.IsEntryId("sandboxrt-vm"));
    }

    private static ContainerRecord Save(StateStore store, ContainerRecord record)
    {
        store.Save(record);
        return record;
    }
}
