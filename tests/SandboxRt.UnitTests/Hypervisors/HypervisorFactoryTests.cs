using SandboxRt.Runtime.Hypervisors;

namespace SandboxRt.UnitTests.Hypervisors;

[Trait("Tier", "unit")]
public sealed class HypervisorFactoryTests
{
    [Fact]
    public void Drivers_are_chosen_by_name_and_an_unknown_name_is_named_in_the_error()
    {
        Assert.Equal("qemu", HypervisorFactory.Driver("qemu").Name);
        Assert.Contains("virtio-fs", HypervisorFactory.Driver("qemu").SharedFsKinds);
        var e = Assert.Throws<HypervisorException>(() => HypervisorFactory.Driver("firecracker"));
        Assert.Contains("'firecracker'", e.Message);
        Assert.Contains("qemu", e.Message);
        Assert.Contains("clh", e.Message);
        Assert.Equal("clh", HypervisorFactory.Driver("cloud-hypervisor").Name);
        Assert.DoesNotContain("virtio-9p", HypervisorFactory.Driver("clh").SharedFsKinds);
    }

    [Fact]
    public void Vmm_record_round_trips_and_a_missing_record_reads_as_qemu()
    {
        using var dir = new TempDirectory();
        Assert.Equal("qemu", VmmRecord.Load(dir.Path).Driver);
        var record = new VmmRecord { Driver = "qemu", ControlSocket = "/run/x/qmp.sock", AgentChannelKind = "vsock", AgentPort = 1024 };
        record.Save(dir.Path);
        Assert.Contains("\"control_socket\"", File.ReadAllText(Path.Combine(dir.Path, VmmRecord.FileName)));
        Assert.Equal(record, VmmRecord.Load(dir.Path));
        VmmRecord.Remove(dir.Path);
        Assert.False(File.Exists(Path.Combine(dir.Path, VmmRecord.FileName)));
    }
}
