// Resizing a running QEMU VM: vCPUs and memory hot-plugged through QMP (Kata's ResizeVCPUs and
// ResizeMemory) for a pod whose containers ask for more than the VM booted with, and unplugged again
// when they leave.
//
// The VM must have room: -smp N,maxcpus=M and -m SIZE,slots=S,maxmem=MAX (QemuCommandLine adds them on
// q35 and pc when the configuration's maximums are above the boot size; microvm has no ACPI hot-plug).
//   vCPUs: query-hotpluggable-cpus lists every slot, plugged ones with a qom-path; device_add plugs the
//          next free ones (type and socket/core/thread ids as QEMU lists them).
//   memory: the boot size plus the pc-dimms plugged (RamAsync) is the RAM; the shortfall, rounded up to the guest's
//          128 MiB memory block, becomes a few pc-dimms on memfd backends with share=on (vhost-user, i.e.
//          virtiofsd, maps all guest RAM, hot-plugged RAM included), sized 1, 2, 4, ... blocks and the
//          rest (DimmSizesMib), so that a later shrink to any lower size can unplug whole DIMMs down to it:
//          one 1 GiB DIMM could not go when the limits fall from 1 GiB to 256 MiB.
// The guest still has to online what arrives (the agent's OnlineCpuMem); that is the caller's next step.
//
// Shrinking: QemuUnplugPlan picks hot-plugged vCPUs and whole DIMMs; each device_del only asks the guest
// (an ACPI eject request): the guest kernel offlines the CPU or the DIMM's memory blocks, ejects, and
// QEMU then sends DEVICE_DELETED. A guest that cannot offline (memory in use by the kernel: hot-plugged
// memory is onlined movable for this, see QemuCommandLine.KernelParams) answers with an ACPI _OST
// failure status instead (ACPI_DEVICE_OST). Either event ends the wait; a refused device stays plugged,
// counts in the VM's size, and is what a later growth reuses. One bound covers the whole shrink: a
// guest that answers neither leaves its device pending (QEMU finishes it whenever the guest ejects).
// Under TCG no vCPU is unplugged: with QEMU 7.2 (measured here, q35), once a vCPU was unplugged the next
// memory change (a DIMM plugged or unplugged) killed QEMU with "double free or corruption (out)", and
// plugging a vCPU again aborted it ("tcg_register_thread: assertion failed: (n < tcg_max_ctxs)"). The
// vCPU stays plugged and online, and a later growth counts it. Memory unplug works under TCG.
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
        // ids stay unique when an earlier vCPU was unplugged and a later one refused to go
        var used = slots.OfType<JsonObject>().Select(s => (string?)s["qom-path"]).Where(p => p?.StartsWith(Peripheral, StringComparison.Ordinal) == true)
            .Select(p => p![Peripheral.Length..]).ToHashSet(StringComparer.Ordinal);
        int next = 1;
        for (int i = 0; plugged < vcpus; i++, plugged++)
        {
            var slot = free[i];
            while (used.Contains($"cpu-{next}"))
                next++;
            var arguments = new JsonObject { ["driver"] = (string?)slot["type"], ["id"] = $"cpu-{next++}" };
            foreach (var (name, value) in slot["props"]!.AsObject())
                arguments[name] = value?.DeepClone();
            await qmp.ExecuteAsync("device_add", arguments, cancellationToken);
        }

        var (current, dimmsPlugged, _, dimmAddress) = await RamAsync(qmp, cancellationToken);
        int currentMib = (int)(current >> 20);
        if (memoryMib > currentMib)
        {
            int add = (memoryMib - currentMib + BlockMib - 1) / BlockMib * BlockMib;
            foreach (int size in DimmSizesMib(add, MemorySlots - dimmsPlugged))
            {
                var id = $"hotplug-{Guid.NewGuid():N}"[..16]; // the total goes down too: its size would not be unique
                await qmp.ExecuteAsync("object-add", new JsonObject
                {
                    ["qom-type"] = "memory-backend-memfd", ["id"] = id, ["size"] = (long)size << 20, ["share"] = true,
                }, cancellationToken);
                try
                {
                    var dimm = new JsonObject { ["driver"] = "pc-dimm", ["id"] = "dimm-" + id, ["memdev"] = id };
                    if (dimmAddress is { } addr)
                        dimm["addr"] = addr;
                    await qmp.ExecuteAsync("device_add", dimm, cancellationToken);
                }
                catch (HypervisorException e)
                {
                    await qmp.ExecuteAsync("object-del", new JsonObject { ["id"] = id }, cancellationToken);
                    throw new HypervisorException($"cannot grow the VM by {add} MiB to {memoryMib} MiB: a {size} MiB DIMM at {currentMib} MiB ({e.Message}; default_maxmemory_mib and the {MemorySlots} slots bound it)", e);
                }
                currentMib += size;
                dimmAddress += (long)size << 20; // sizes are whole blocks: the next DIMM stays block-aligned
            }
        }
        return (plugged, currentMib);
    }

    /// <summary>Most DIMMs one growth plugs; it leaves <see cref="SpareSlots"/> slots free for later growths with fewer.</summary>
    private const int MaxDimmsPerGrowth = 5, SpareSlots = 8;

    /// <summary>
    /// The DIMMs a growth by <paramref name="addMib"/> (a multiple of 128 MiB) plugs: 1, 2, 4, ... blocks, the
    /// last one the rest. While the rest is at most the sum of the others plus one (up to 31 blocks with five
    /// DIMMs), whole ones add up to every multiple of a block up to the total (1, 2, 4 make 0-7; with a rest
    /// r &lt;= 8 also r to 7+r), so a shrink reaches any lower size exactly; past that, the nearest above it.
    /// Fewer DIMMs when slots run short.
    /// </summary>
    /// <param name="freeSlots">DIMM slots the VM has free (of <see cref="MemorySlots"/>)</param>
    internal static IReadOnlyList<int> DimmSizesMib(int addMib, int freeSlots)
    {
        int pieces = Math.Clamp(freeSlots - SpareSlots, 1, MaxDimmsPerGrowth);
        int blocks = addMib / BlockMib;
        var sizes = new List<int>();
        for (int take = 1; blocks > 0; take *= 2)
        {
            int size = sizes.Count == pieces - 1 ? blocks : Math.Min(take, blocks);
            sizes.Add(size * BlockMib);
            blocks -= size;
        }
        return sizes;
    }

    /// <summary>
    /// _OST status codes for an ejection request (ACPI 6.5, 6.3.5 "_OST", as Linux's ACPI_OST_SC_* names
    /// them) that mean "not refused"; 0x80-0x83 are refusals (not supported, in use, busy, dependency busy).
    /// </summary>
    private const int OstSuccess = 0, OstEjectInProgress = 0x84;
    private const int OstSourceEjectRequest = 3;

    /// <summary>
    /// Unplugs hot-plugged vCPUs and DIMMs the VM has beyond <paramref name="vcpus"/> and
    /// <paramref name="memoryMib"/>; returns a line for every device the guest kept (refused, or did not
    /// answer within <paramref name="bound"/>). The size afterwards is <see cref="SizeAsync"/>'s, on a
    /// new connection: this one may have been left mid-read.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ShrinkAsync(QmpClient qmp, int vcpus, int memoryMib, bool unplugCpus, TimeSpan bound, CancellationToken cancellationToken)
    {
        var (now, cpus, dimms) = await PluggedAsync(qmp, cancellationToken);
        var plan = QemuUnplugPlan.Choose(cpus, now.Vcpus, vcpus, dimms.Select(d => (d.Id, d.SizeMib)).ToList(), now.MemoryMib, memoryMib);
        var kept = new List<string>();
        if (!unplugCpus && plan.Cpus.Count > 0)
        {
            kept.AddRange(plan.Cpus.Select(id => $"{id}: stays plugged: QEMU cannot unplug a vCPU under TCG (7.2: the next memory change double-frees, a re-plug aborts in tcg_register_thread)"));
            plan = plan with { Cpus = [] };
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(bound);
        var pending = plan.Cpus.Select(id => (Id: id, Memdev: (string?)null)).Concat(plan.Dimms.Select(id => (Id: id, Memdev: dimms.First(d => d.Id == id).Memdev))).ToList();
        foreach (var (id, memdev) in pending)
        {
            if (deadline.IsCancellationRequested)
            {
                kept.Add($"{id}: not asked: the shrink's {bound.TotalSeconds:0} s were spent");
                continue;
            }
            string? refusal;
            try
            {
                refusal = await UnplugAsync(qmp, id, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                kept.Add($"{id}: the guest neither ejected nor refused it within {bound.TotalSeconds:0} s (device_del stays pending; QMP events meanwhile: {qmp.DescribeKeptEvents()})");
                continue;
            }
            if (refusal is not null)
            {
                kept.Add($"{id}: {refusal}");
                continue;
            }
            if (memdev is not null)
            {
                try
                {
                    await qmp.ExecuteAsync("object-del", new JsonObject { ["id"] = memdev }, cancellationToken); // answered at once: not the guest's time
                }
                catch (HypervisorException e)
                {
                    kept.Add($"{id}: unplugged, but its backend {memdev} stays: {e.Message}");
                }
            }
        }
        return kept;
    }

    /// <summary>
    /// <see cref="ShrinkAsync(QmpClient, int, int, bool, TimeSpan, CancellationToken)"/> on the VM behind
    /// <paramref name="qmpSocket"/>, then its size counted on a fresh connection (the first may have been left
    /// mid-read): the one shrink of a VM this process started (the shim) and of one another process started
    /// (`sandboxrt update`). <paramref name="unplugCpus"/> null asks QEMU (query-kvm): no vCPU unplug under TCG.
    /// </summary>
    public static async Task<(int Vcpus, int MemoryMib, IReadOnlyList<string> Kept)> ShrinkAsync(string qmpSocket, int vcpus, int memoryMib, bool? unplugCpus,
        TimeSpan bound, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> kept;
        await using (var qmp = await QmpClient.ConnectAsync(qmpSocket, cancellationToken))
        {
            unplugCpus ??= (bool?)(await qmp.ExecuteAsync("query-kvm", cancellationToken: cancellationToken))?["enabled"] == true;
            kept = await ShrinkAsync(qmp, vcpus, memoryMib, unplugCpus.Value, bound, cancellationToken);
        }
        await using var fresh = await QmpClient.ConnectAsync(qmpSocket, cancellationToken);
        var (nowVcpus, nowMemoryMib) = await SizeAsync(fresh, cancellationToken);
        return (nowVcpus, nowMemoryMib, kept);
    }

    /// <summary>How long the guest may take to answer every eject request of one shrink (a hang detector: offlining memory under TCG takes seconds).</summary>
    public static readonly TimeSpan ShrinkBound = TimeSpan.FromSeconds(30);

    /// <summary>The id of the NIC a VM cache's warm-up plugs and unplugs (<see cref="WithScratchNicAsync"/>).</summary>
    public const string ScratchNicId = "sandboxrt-scratch-nic";

    /// <summary>
    /// Plugs a virtio-net NIC with no backend (no netdev: it carries nothing) on root port <paramref name="port"/>,
    /// runs <paramref name="whilePlugged"/>, then unplugs it whatever that did and waits for the guest to let
    /// it go (within <see cref="ShrinkBound"/>). Null once QEMU deleted it, else why it stays.
    /// </summary>
    public static async Task<string?> WithScratchNicAsync(QmpClient qmp, string port, byte[] mac, Func<Task> whilePlugged, CancellationToken cancellationToken)
    {
        await qmp.ExecuteAsync("device_add", new JsonObject
        {
            ["driver"] = "virtio-net-pci",
            ["id"] = ScratchNicId,
            ["mac"] = global::SandboxRt.Agent.Protocol.NetworkText.FormatMac(mac),
            ["bus"] = port,
        }, cancellationToken);
        string? kept;
        try
        {
            await whilePlugged();
        }
        finally
        {
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bound.CancelAfter(ShrinkBound);
            kept = await UnplugAsync(qmp, ScratchNicId, bound.Token);
        }
        return kept;
    }

    /// <summary>device_del, then the guest's answer: null once QEMU deleted the device, else why it stays.</summary>
    public static async Task<string?> UnplugAsync(QmpClient qmp, string id, CancellationToken cancellationToken)
    {
        try
        {
            await qmp.ExecuteAsync("device_del", new JsonObject { ["id"] = id }, cancellationToken);
        }
        catch (HypervisorException e)
        {
            return e.Message; // e.g. an unplug of it is already pending
        }
        var answer = await qmp.WaitForEventAsync(e => IsDeleted(e, id) || OstStatus(e, id) is not (null or OstSuccess or OstEjectInProgress), cancellationToken);
        return IsDeleted(answer, id) ? null : $"the guest refused to eject it (ACPI _OST status 0x{OstStatus(answer, id):x2}; memory the guest could not offline)";
    }

    /// <summary>
    /// DEVICE_DELETED for the device, or for a child of it: QEMU 7.2 reports an x86 vCPU's unplug only as its
    /// LAPIC's ({"path": "/machine/peripheral/cpu-1/lapic"}, no "device"), in the same main-loop turn that
    /// removes the vCPU (measured under TCG: the ACPI_DEVICE_OST that follows has no device any more).
    /// </summary>
    private static bool IsDeleted(JsonObject e, string id) =>
        (string?)e["event"] == "DEVICE_DELETED" && e["data"] is JsonObject data
            && ((string?)data["device"] == id || (string?)data["path"] is { } path && (path == Peripheral + id || path.StartsWith(Peripheral + id + "/", StringComparison.Ordinal)));

    /// <summary>The _OST status of an ACPI_DEVICE_OST event about the eject request for <paramref name="id"/>, or null.</summary>
    private static int? OstStatus(JsonObject e, string id) =>
        (string?)e["event"] == "ACPI_DEVICE_OST" && e["data"]?["info"] is JsonObject info && (string?)info["device"] == id
            && (int?)info["source"] == OstSourceEjectRequest ? (int?)info["status"] : null;

    /// <summary>The VM's vCPUs and memory as QEMU counts them (boot and hot-plugged).</summary>
    public static async Task<(int Vcpus, int MemoryMib)> SizeAsync(QmpClient qmp, CancellationToken cancellationToken) =>
        (await PluggedAsync(qmp, cancellationToken)).Now;

    private static async Task<((int Vcpus, int MemoryMib) Now, List<string> Cpus, List<(string Id, int SizeMib, string? Memdev)> Dimms)> PluggedAsync(
        QmpClient qmp, CancellationToken cancellationToken)
    {
        var slots = (await qmp.ExecuteAsync("query-hotpluggable-cpus", cancellationToken: cancellationToken))?.AsArray() ?? [];
        var plugged = slots.OfType<JsonObject>().Where(s => s["qom-path"] is not null).ToList();
        // hot-plugged vCPUs are the ones with a device id ("/machine/peripheral/ID"), in the order GrowAsync plugs them
        var cpus = plugged.Select(s => (string)s["qom-path"]!).Where(p => p.StartsWith(Peripheral, StringComparison.Ordinal))
            .Select(p => p[Peripheral.Length..]).OrderBy(id => id.Length).ThenBy(id => id, StringComparer.Ordinal).ToList();
        var (bytes, _, devices, _) = await RamAsync(qmp, cancellationToken);
        var dimms = devices.Where(d => d["data"]?["id"] is not null)
            .Select(d => d["data"]!).Where(d => ((string)d["id"]!).StartsWith("dimm-hotplug-", StringComparison.Ordinal))
            .Select(d => ((string)d["id"]!, (int)((long)d["size"]! >> 20), ((string?)d["memdev"])?.Split('/')[^1])).ToList();
        return ((plugged.Count, (int)(bytes >> 20)), cpus, dimms);
    }

    private const string Peripheral = "/machine/peripheral/";

    /// <summary>
    /// The VM's RAM (boot size plus DIMMs), its DIMMs, and where the next DIMM goes. Not
    /// query-memory-size-summary's plugged-memory: that also counts the root image's virtio-pmem device
    /// (GuestRootImage), which is no RAM. The next DIMM's address: the first guest memory block boundary
    /// (128 MiB) above every memory device, null when there is none (QEMU then picks the hot-plug
    /// region's start). QEMU would put it right after the 32 MiB image, and the guest onlines only
    /// memory that starts and ends on its block boundaries: it brought none of such a DIMM online.
    /// </summary>
    private static async Task<(long Bytes, int DimmCount, List<JsonObject> Dimms, long? NextDimmAddress)> RamAsync(QmpClient qmp, CancellationToken cancellationToken)
    {
        var summary = await qmp.ExecuteAsync("query-memory-size-summary", cancellationToken: cancellationToken);
        var devices = ((await qmp.ExecuteAsync("query-memory-devices", cancellationToken: cancellationToken))?.AsArray() ?? []).OfType<JsonObject>().ToList();
        var dimms = devices.Where(d => (string?)d["type"] == "dimm").ToList();
        long bytes = ((long?)summary?["base-memory"] ?? 0) + dimms.Sum(d => (long?)d["data"]?["size"] ?? 0);
        // a DIMM's data names its start "addr", virtio-pmem's and virtio-mem's "memaddr"
        var ends = devices.Select(d => d["data"]).Where(d => d is not null)
            .Select(d => ((long?)d!["addr"] ?? (long?)d["memaddr"] ?? 0) + ((long?)d["size"] ?? 0)).ToList();
        const long block = (long)BlockMib << 20;
        long? next = ends.Count == 0 ? null : (ends.Max() + block - 1) / block * block;
        return (bytes, dimms.Count, dimms, next);
    }
}
