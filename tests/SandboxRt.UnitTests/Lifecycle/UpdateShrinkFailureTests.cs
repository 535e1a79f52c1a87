using SandboxRt.Runtime.Lifecycle;
using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.UnitTests.Lifecycle;

/// <summary>When `sandboxrt update` fails after lowering the cgroup: memory the guest kept, never a vCPU kept by policy.</summary>
[Trait("Tier", "unit")]
public sealed class UpdateShrinkFailureTests
{
    [Fact]
    public void Memory_the_guest_kept_fails_the_update_naming_the_size_and_each_device()
    {
        var failure = UpdateOperation.ShrinkFailure("c1", new VmSize(1, 1536), new VmSize(1, 768),
            ["dimm-hotplug-aaaa: the guest refused to eject it (ACPI _OST status 0x82; memory the guest could not offline)"]);
        Assert.Equal("update container c1: the cgroup has the new limits, but the VM keeps 1536 MiB of memory where they need 768 MiB: " +
            "the guest kept dimm-hotplug-aaaa: the guest refused to eject it (ACPI _OST status 0x82; memory the guest could not offline)", failure);
    }

    [Fact]
    public void A_vcpu_kept_under_tcg_with_the_memory_given_back_and_a_clean_shrink_do_not()
    {
        Assert.Null(UpdateOperation.ShrinkFailure("c1", new VmSize(2, 768), new VmSize(1, 768), ["cpu-1: stays plugged: QEMU cannot unplug a vCPU under TCG"]));
        Assert.Null(UpdateOperation.ShrinkFailure("c1", new VmSize(1, 768), new VmSize(1, 768), []));
        Assert.Null(UpdateOperation.ShrinkFailure("c1", new VmSize(1, 896), new VmSize(1, 768), [])); // whole DIMMs: the nearest above
    }
}
