using SandboxRt.Interop;
using SandboxRt.Oci.Validation;

namespace SandboxRt.UnitTests.Oci;

[Trait("Tier", "unit")]
public sealed class MountOptionsTests
{
    [Fact]
    public void Flags_propagation_and_data_are_separated()
    {
        var o = MountOptions.Parse(["nosuid", "strictatime", "mode=755", "size=65536k", "rprivate", "ro"]);
        Assert.Equal(MountFlags.NoSuid | MountFlags.StrictAtime | MountFlags.ReadOnly, o.Flags);
        Assert.Equal([MountFlags.Private | MountFlags.Recursive], o.Propagation);
        Assert.Equal("mode=755,size=65536k", o.Data);
    }

    [Fact]
    public void Later_options_override_earlier_ones()
    {
        var o = MountOptions.Parse(["ro", "rw", "noexec", "exec"]);
        Assert.Equal(MountFlags.None, o.Flags);
        Assert.Equal(MountFlags.ReadOnly | MountFlags.NoExec, o.ClearedFlags);
    }

    [Fact]
    public void Rbind_is_a_recursive_bind_and_remount_flags_exclude_it()
    {
        var o = MountOptions.Parse(["rbind", "ro", "nodev"]);
        Assert.Equal(MountFlags.Bind | MountFlags.Recursive | MountFlags.ReadOnly | MountFlags.NoDev, o.Flags);
        Assert.Equal(MountFlags.ReadOnly | MountFlags.NoDev, o.RemountFlags);
    }
}
