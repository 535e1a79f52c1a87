using System.Text.Json.Nodes;

namespace SandboxRt.Runtime.Hypervisors.CloudHypervisor;

/// <summary>
/// The request bodies this driver sends, shaped as the schemas of Cloud Hypervisor's OpenAPI document
/// (VmConfig, FsConfig, NetConfig); the unit tests check each against that document.
/// </summary>
internal static class ClhRequests
{
    /// <summary>vm.create: kernel, initramfs and command line; vCPUs; memory (shared for vhost-user devices); console into a file; hybrid vsock.</summary>
    public static JsonObject VmConfig(ClhLaunchPlan plan) => new()
    {
        ["payload"] = new JsonObject { ["kernel"] = plan.Kernel, ["initramfs"] = plan.Initrd, ["cmdline"] = plan.Cmdline },
        ["cpus"] = new JsonObject { ["boot_vcpus"] = plan.Vcpus, ["max_vcpus"] = plan.Vcpus },
        // virtiofsd maps guest memory: it must be shared, as QEMU's memory-backend-memfd,share=on.
        ["memory"] = new JsonObject { ["size"] = plan.MemoryMib * 1024L * 1024L, ["shared"] = plan.SharedMemory },
        ["serial"] = new JsonObject { ["mode"] = "File", ["file"] = plan.ConsoleLog },
        ["console"] = new JsonObject { ["mode"] = "Off" },
        ["vsock"] = new JsonObject { ["cid"] = plan.GuestCid, ["socket"] = plan.VsockSocket },
        ["rng"] = new JsonObject { ["src"] = "/dev/urandom" },
    };

    /// <summary>vm.add-fs: virtiofsd's socket under the tag the guest mounts.</summary>
    public static JsonObject Fs(string socket) => new()
    {
        ["tag"] = SharedFsPlan.Tag,
        ["socket"] = socket,
        ["num_queues"] = 1,
        ["queue_size"] = 1024,
        ["id"] = "fs0",
    };

    /// <summary>vm.add-net: the tap travels beside this body as a descriptor (SCM_RIGHTS), so the body names none.</summary>
    public static JsonObject Net(int index, byte[] mac, int mtu) => new()
    {
        ["id"] = $"net{index}",
        ["mac"] = global::SandboxRt.Agent.Protocol.NetworkText.FormatMac(mac),
        ["mtu"] = mtu,
        ["num_queues"] = 2,
        ["queue_size"] = 256,
    };
}
