using System.Text.Json.Nodes;

namespace SandboxRt.Runtime.Hypervisors.CloudHypervisor;

/// <summary>
/// The request bodies this driver sends, shaped as the schemas of Cloud Hypervisor's OpenAPI document
/// (VmConfig, FsConfig, NetConfig, VmResize); the host-tier tests check each against that document.
/// </summary>
internal static class ClhRequests
{
    /// <summary>
    /// vm.create: kernel, command line and either the initramfs or the read-only root image (a pmem device
    /// with discard_writes: Cloud Hypervisor opens the file read-only and maps it privately, so nothing the
    /// guest writes reaches it); vCPUs up to the most the VM may grow to; memory (shared for vhost-user
    /// devices) with room for ACPI hot-plug; console into a file; hybrid vsock; the SMBIOS OEM strings (the
    /// agent token: the body travels over the root-only API socket, never argv).
    /// </summary>
    public static JsonObject VmConfig(ClhLaunchPlan plan)
    {
        // virtiofsd maps guest memory: it must be shared, as QEMU's memory-backend-memfd,share=on.
        var memory = new JsonObject { ["size"] = plan.MemoryMib * Mib, ["shared"] = plan.SharedMemory };
        if (plan.HotplugMib > 0)
        {
            memory["hotplug_size"] = plan.HotplugMib * Mib;
            memory["hotplug_method"] = "Acpi"; // DIMM-like regions the guest onlines, as QEMU's pc-dimm; the agent onlines both
        }
        var config = new JsonObject
        {
            ["payload"] = plan.RootImage is null
                ? new JsonObject { ["kernel"] = plan.Kernel, ["initramfs"] = plan.Initrd, ["cmdline"] = plan.Cmdline }
                : new JsonObject { ["kernel"] = plan.Kernel, ["cmdline"] = plan.Cmdline },
            ["cpus"] = new JsonObject { ["boot_vcpus"] = plan.Vcpus, ["max_vcpus"] = Math.Max(plan.Vcpus, plan.MaxVcpus) },
            ["memory"] = memory,
            ["serial"] = new JsonObject { ["mode"] = "File", ["file"] = plan.ConsoleLog },
            ["console"] = new JsonObject { ["mode"] = "Off" },
            ["vsock"] = new JsonObject { ["cid"] = plan.GuestCid, ["socket"] = plan.VsockSocket },
            ["rng"] = new JsonObject { ["src"] = "/dev/urandom" },
        };
        if (plan.RootImage is { } image)
            config["pmem"] = new JsonArray(new JsonObject { ["file"] = image.Path, ["discard_writes"] = true, ["id"] = GuestRootImage.BackendId });
        if (plan.OemStrings.Count > 0)
            config["platform"] = new JsonObject { ["oem_strings"] = new JsonArray(plan.OemStrings.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()) };
        return config;
    }

    /// <summary>vm.resize for vCPUs only: Cloud Hypervisor plugs or ejects (through ACPI) up to max_vcpus.</summary>
    public static JsonObject ResizeVcpus(int vcpus) => new() { ["desired_vcpus"] = vcpus };

    /// <summary>vm.resize for memory only: the new total in bytes (with ACPI hot-plug it only ever grows).</summary>
    public static JsonObject ResizeMemory(int memoryMib) => new() { ["desired_ram"] = memoryMib * Mib };

    private const long Mib = 1024L * 1024L;

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
