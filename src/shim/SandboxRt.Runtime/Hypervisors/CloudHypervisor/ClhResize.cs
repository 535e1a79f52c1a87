// Resizing a running Cloud Hypervisor VM through its API: PUT /vm.resize (schema VmResize), as Kata's clh
// driver does for ResizeVCPUs and ResizeMemory.
//
// The VM must have room, set at vm.create (ClhRequests.VmConfig): cpus.max_vcpus, and memory.hotplug_size
// with hotplug_method Acpi. GET /vm.info tells what the VM has now (config.cpus.boot_vcpus and max_vcpus,
// config.memory.size): Cloud Hypervisor rewrites those fields on every resize, so the same code serves the
// process that launched the VM and `sandboxrt update` from another one (ClhDriver.GrowDetachedAsync).
//   vCPUs: desired_vcpus plugs up to max_vcpus, or asks the guest to eject (ACPI) down to it. A removal
//          the guest has not finished makes the next resize answer 429.
//   memory: desired_ram is the new total; ACPI hot-plug adds one region per request (at most Cloud
//          Hypervisor's hot-plug slots), in whole 128 MiB blocks (its hotplug_ram_region refuses anything
//          else), so the growth is rounded up as QEMU's DIMMs are. ACPI hot-plug cannot take memory back:
//          Cloud Hypervisor answers a smaller desired_ram with 204 and changes nothing, then reports the
//          smaller size in vm.info. So a shrink never sends desired_ram; hot-plugged memory stays and is
//          named in the shrink's kept list, and vm.info keeps telling the truth.
// vCPUs and memory go in separate requests, so an error names the half that failed; a failed growth
// leaves the VM as big as it got. The guest onlines what arrives (the agent's OnlineCpuMem, the caller's
// next step), as with QEMU.
// Nothing here has run against a real Cloud Hypervisor (it needs KVM): the contract is its OpenAPI
// document and its vmm sources, checked in CloudHypervisorDriverTests against a fake API server.
using System.Text.Json.Nodes;

namespace SandboxRt.Runtime.Hypervisors.CloudHypervisor;

internal static class ClhResize
{
    private const int BlockMib = 128;

    /// <summary>What `sandboxrt update` allows a detached VM's API to take per request.</summary>
    public static readonly TimeSpan DetachedApiTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Plugs vCPUs and memory until the VM has at least <paramref name="vcpus"/> and <paramref name="memoryMib"/>; returns what it has then.</summary>
    public static async Task<(int Vcpus, int MemoryMib)> GrowAsync(ClhApiClient api, int vcpus, int memoryMib, CancellationToken cancellationToken)
    {
        var now = await SizeAsync(api, cancellationToken);
        int haveVcpus = now.Vcpus, haveMib = now.MemoryMib;
        if (vcpus > haveVcpus)
        {
            if (vcpus > now.MaxVcpus)
                throw new HypervisorException($"cannot grow the VM to {vcpus} vCPUs: it was created with room for {now.MaxVcpus} (max_vcpus, from default_maxvcpus)");
            try
            {
                await api.PutAsync("vm.resize", ClhRequests.ResizeVcpus(vcpus), cancellationToken);
            }
            catch (HypervisorException e)
            {
                throw new HypervisorException($"cannot grow the VM from {haveVcpus} to {vcpus} vCPUs: {e.Message}", e);
            }
            haveVcpus = vcpus;
        }
        if (memoryMib > haveMib)
        {
            int target = haveMib + (memoryMib - haveMib + BlockMib - 1) / BlockMib * BlockMib;
            try
            {
                await api.PutAsync("vm.resize", ClhRequests.ResizeMemory(target), cancellationToken);
            }
            catch (HypervisorException e)
            {
                throw new HypervisorException($"cannot grow the VM from {haveMib} to {target} MiB: {e.Message} (hotplug_size, from default_maxmemory_mib, bounds it)", e);
            }
            haveMib = target;
        }
        return (haveVcpus, haveMib);
    }

    /// <summary>
    /// Ejects vCPUs the VM has beyond <paramref name="vcpus"/> (never below <paramref name="bootVcpus"/>);
    /// returns what it has then, and a line for what stays: hot-plugged memory (ACPI hot-plug cannot remove
    /// it), and vCPUs Cloud Hypervisor refused to eject (its answer). Fails only when the API cannot be asked.
    /// </summary>
    public static async Task<(int Vcpus, int MemoryMib, IReadOnlyList<string> Kept)> ShrinkAsync(ClhApiClient api, int vcpus, int memoryMib,
        int bootVcpus, int bootMemoryMib, CancellationToken cancellationToken)
    {
        var now = await SizeAsync(api, cancellationToken);
        var kept = new List<string>();
        int haveVcpus = now.Vcpus;
        int wantVcpus = Math.Max(vcpus, bootVcpus);
        if (wantVcpus < haveVcpus)
        {
            try
            {
                await api.PutAsync("vm.resize", ClhRequests.ResizeVcpus(wantVcpus), cancellationToken);
                haveVcpus = wantVcpus;
            }
            catch (HypervisorException e) when (!cancellationToken.IsCancellationRequested)
            {
                kept.Add($"vCPUs {wantVcpus + 1}-{haveVcpus}: Cloud Hypervisor did not eject them: {e.Message}");
            }
        }
        if (Math.Max(memoryMib, bootMemoryMib) < now.MemoryMib && now.MemoryMib > bootMemoryMib)
            kept.Add($"memory: {now.MemoryMib - bootMemoryMib} MiB hot-plugged stays: Cloud Hypervisor's ACPI memory hot-plug cannot remove memory (vm.resize ignores a smaller desired_ram)");
        return (haveVcpus, now.MemoryMib, kept);
    }

    /// <summary>The VM's vCPUs, their maximum and its memory, from GET /vm.info.</summary>
    private static async Task<(int Vcpus, int MaxVcpus, int MemoryMib)> SizeAsync(ClhApiClient api, CancellationToken cancellationToken)
    {
        var text = await api.GetAsync("vm.info", cancellationToken);
        JsonNode? info;
        try
        {
            info = JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new HypervisorException($"cloud-hypervisor API {api.SocketPath}: GET /api/v1/vm.info: the answer is not JSON: {e.Message}", e);
        }
        long? vcpus = Number(info, "cpus", "boot_vcpus"), max = Number(info, "cpus", "max_vcpus"), bytes = Number(info, "memory", "size");
        if (vcpus is null || max is null || bytes is null)
            throw new HypervisorException($"cloud-hypervisor API {api.SocketPath}: GET /api/v1/vm.info: the answer lacks config.cpus.boot_vcpus, config.cpus.max_vcpus or config.memory.size");
        return ((int)vcpus.Value, (int)max.Value, (int)(bytes.Value >> 20));
    }

    private static long? Number(JsonNode? info, string section, string field) =>
        info?["config"]?[section]?[field] is JsonValue value && value.TryGetValue<long>(out var n) && n >= 0 && n >> 20 <= int.MaxValue ? n : null;
}
