// Growing a running QEMU VM: vCPUs and memory hot-plugged through QMP (Kata's ResizeVCPUs and
// ResizeMemory), for a pod whose containers ask for more than the VM booted with.
//
// The VM must have room: -smp N,maxcpus=M and -m SIZE,slots=S,maxmem=MAX (QemuCommandLine adds them on
// q35 and pc when the configuration's maximums are above the boot size; microvm has no ACPI hot-plug).
//   vCPUs: query-hotpluggable-cpus lists every slot, plugged ones with a qom-path; device_add plugs the
//          next free ones (type and socket/core/thread ids as QEMU lists them).
//   memory: query-memory-size-summary gives boot + plugged RAM; the shortfall, rounded up to the guest's
//          128 MiB memory block, becomes one pc-dimm on a memfd backend with share=on (vhost-user, i.e.
//          virtiofsd, maps all guest RAM, hot-plugged RAM included).
// Nothing is unplugged: the guest decides what it can give back, and this build does not ask it.
// The guest still has to online what arrives (the agent's OnlineCpuMem); that is the caller's next step.
using System.Text.Json.Nodes;

namespace SandboxRt.Runtime.Hypervisors.Qemu;

internal static class QemuHotplug
{
    /// <summary>DIMM slots a VM boots with: one per growth step.</summary>
    public const int MemorySlots = 16;
    private const int BlockMib = 128;

    public static bool CanGrowCpus(QemuLaunchPlan plan) => plan.Config.Qemu.MachineType != "microvm" && plan.MaxVcpus > plan.Vcpus;

    public static bool CanGrowMemory(QemuLaunchPlan plan) => plan.Config.Qemu.MachineType != "microvm" && plan.MaxMemoryMib > plan.MemoryMib;

    /// <summary>Plugs vCPUs and memory until the VM has at least <paramref name="vcpus"/> and <paramref name="memoryMib"/>; returns what it has then.</summary>
    public static async Task<(int Vcpus, int MemoryMib)> GrowAsync(QmpClient qmp, int vcpus, int memoryMib, CancellationToken cancellationToken)
    {
        var slots = (await qmp.ExecuteAsync("query-hotpluggable-cpus", cancellationToken: cancellationToken))?.AsArray() ?? [];
        var free = slots.OfType<JsonObject>().Where(s => s["qom-path"] is null)
            .OrderBy(s => (int?)s["props"]?["socket-id"] ?? 0).ThenBy(s => (int?)s["props"]?["core-id"] ?? 0).ThenBy(s => (int?)s["props"]?["thread-id"] ?? 0).ToList();
        int plugged = slots.Count - free.Count;
        if (vcpus > slots.Count)
            throw new HypervisorException($"cannot grow the VM to {vcpus} vCPUs: it was started with room for {slots.Count} (default_maxvcpus)");
        for (int i = 0; plugged < vcpus; i++, plugged++)
        {
            var slot = free[i];
            var arguments = new JsonObject { ["driver"] = (string?)slot["type"], ["id"] = $"cpu-{plugged}" };
            foreach (var (name, value) in slot["props"]!.AsObject())
                arguments[name] = value?.DeepClone();
            await qmp.ExecuteAsync("device_add", arguments, cancellationToken);
        }

        var summary = await qmp.ExecuteAsync("query-memory-size-summary", cancellationToken: cancellationToken);
        long current = ((long?)summary?["base-memory"] ?? 0) + ((long?)summary?["plugged-memory"] ?? 0);
        int currentMib = (int)(current >> 20);
        if (memoryMib > currentMib)
        {
            int add = (memoryMib - currentMib + BlockMib - 1) / BlockMib * BlockMib;
            var id = $"hotplug-{currentMib}"; // unique: the total only grows
            await qmp.ExecuteAsync("object-add", new JsonObject
            {
                ["qom-type"] = "memory-backend-memfd", ["id"] = id, ["size"] = (long)add << 20, ["share"] = true,
            }, cancellationToken);
            try
            {
                await qmp.ExecuteAsync("device_add", new JsonObject { ["driver"] = "pc-dimm", ["id"] = "dimm-" + id, ["memdev"] = id }, cancellationToken);
            }
            catch (HypervisorException e)
            {
                await qmp.ExecuteAsync("object-del", new JsonObject { ["id"] = id }, cancellationToken);
                throw new HypervisorException($"cannot grow the VM by {add} MiB to {memoryMib} MiB ({e.Message}; default_maxmemory_mib and the {MemorySlots} slots bound it)", e);
            }
            currentMib += add;
        }
        return (plugged, currentMib);
    }
}
