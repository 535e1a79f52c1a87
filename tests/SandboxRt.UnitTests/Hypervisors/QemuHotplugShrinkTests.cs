using System.Text.Json.Nodes;
using SandboxRt.Runtime.Hypervisors.Qemu;
using SandboxRt.UnitTests.Fakes;
using static SandboxRt.UnitTests.Fakes.FakeQmpServer;

namespace SandboxRt.UnitTests.Hypervisors;

/// <summary>
/// The shrink's QMP conversation against a fake QEMU: device_del, then the guest's answer as QEMU reports
/// it (DEVICE_DELETED, or an ACPI_DEVICE_OST failure status for a device the guest could not offline).
/// </summary>
[Trait("Tier", "unit")]
public sealed class QemuHotplugShrinkTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A VM booted with 1 vCPU and 512 MiB, then grown by cpu-1, cpu-2, a 512 MiB and a 256 MiB DIMM.</summary>
    private sealed class GrownVm
    {
        public HashSet<string> Cpus { get; } = ["cpu-1", "cpu-2"];
        public Dictionary<string, int> Dimms { get; } = new() { ["dimm-hotplug-aaaaaaaa"] = 512, ["dimm-hotplug-bbbbbbbb"] = 256 };

        /// <summary>The read-only root image's virtio-pmem device (GuestRootImage): a memory device, but no RAM.</summary>
        public long RootImageBytes { get; init; } = 32L << 20;

        /// <summary>Where each DIMM starts: after the image, on 128 MiB boundaries, as GrowAsync places them.</summary>
        public Dictionary<string, long> DimmAddresses { get; } = new() { ["dimm-hotplug-aaaaaaaa"] = (1L << 32) + (128L << 20), ["dimm-hotplug-bbbbbbbb"] = (1L << 32) + (640L << 20) };

        /// <summary>Devices whose eject the guest refuses (memory it cannot offline).</summary>
        public HashSet<string> Refusing { get; } = [];

        /// <summary>Devices whose eject the guest never answers.</summary>
        public HashSet<string> Silent { get; } = [];

        public IEnumerable<JsonObject> Handle(string command, JsonObject? arguments)
        {
            switch (command)
            {
                case "query-hotpluggable-cpus":
                    var slots = new JsonArray(Slot("/machine/unattached/device[0]"));
                    foreach (var id in new[] { "cpu-1", "cpu-2", "cpu-3" })
                        slots.Add(Slot(Cpus.Contains(id) ? "/machine/peripheral/" + id : null));
                    yield return Return(slots);
                    break;
                case "query-memory-size-summary":
                    // as QEMU 7.2 counts it: the root image's virtio-pmem device is "plugged memory" too
                    yield return Return(new JsonObject { ["base-memory"] = 512L << 20, ["plugged-memory"] = ((long)Dimms.Values.Sum() << 20) + RootImageBytes });
                    break;
                case "query-memory-devices":
                    yield return Return(new JsonArray(Dimms.Select(d => (JsonNode)new JsonObject
                    {
                        ["type"] = "dimm",
                        ["data"] = new JsonObject { ["id"] = d.Key, ["addr"] = DimmAddresses.GetValueOrDefault(d.Key), ["size"] = (long)d.Value << 20, ["memdev"] = "/objects/" + d.Key["dimm-".Length..] },
                    }).Concat(RootImageBytes == 0 ? [] : [new JsonObject
                    {
                        ["type"] = "virtio-pmem",
                        ["data"] = new JsonObject { ["id"] = "sandboxrt-root-pmem", ["memaddr"] = 1L << 32, ["size"] = RootImageBytes, ["memdev"] = "/objects/sandboxrt-root" },
                    }]).ToArray()));
                    break;
                case "device_del":
                    var device = (string)arguments!["id"]!;
                    var slotType = device.StartsWith("cpu-", StringComparison.Ordinal) ? "CPU" : "DIMM";
                    yield return Return();
                    if (Silent.Contains(device))
                        break;
                    yield return Event("ACPI_DEVICE_OST", Ost(device, slotType, 0x84)); // eject in progress: not an answer yet
                    if (Refusing.Contains(device))
                    {
                        yield return Event("ACPI_DEVICE_OST", Ost(device, slotType, 0x82)); // device busy
                        break;
                    }
                    Cpus.Remove(device);
                    Dimms.Remove(device);
                    // QEMU 7.2 as measured: a vCPU's unplug shows only as its LAPIC's deletion, then an _OST without the device
                    yield return slotType == "CPU"
                        ? Event("DEVICE_DELETED", new JsonObject { ["path"] = $"/machine/peripheral/{device}/lapic" })
                        : Event("DEVICE_DELETED", new JsonObject { ["device"] = device, ["path"] = "/machine/peripheral/" + device });
                    yield return Event("ACPI_DEVICE_OST", new JsonObject { ["info"] = new JsonObject { ["source"] = 3, ["status"] = 0, ["slot"] = "1", ["slot-type"] = slotType } });
                    break;
                default:
                    yield return Return();
                    break;
            }
        }

        private static JsonObject Slot(string? qomPath)
        {
            var slot = new JsonObject { ["type"] = "qemu64-x86_64-cpu", ["vcpus-count"] = 1, ["props"] = new JsonObject { ["socket-id"] = 0 } };
            if (qomPath is not null)
                slot["qom-path"] = qomPath;
            return slot;
        }

        private static JsonObject Ost(string device, string slotType, int status) => new()
        {
            ["info"] = new JsonObject { ["device"] = device, ["slot"] = "0", ["slot-type"] = slotType, ["source"] = 3, ["status"] = status },
        };
    }

    private async Task<(IReadOnlyList<string> Kept, (int Vcpus, int MemoryMib) After, List<string> Commands)> ShrinkAsync(GrownVm vm, int vcpus, int memoryMib, TimeSpan? bound = null, bool unplugCpus = true)
    {
        await using var server = new FakeQmpServer(Path.Combine(_dir.Path, "qmp.sock"), vm.Handle);
        IReadOnlyList<string> kept;
        await using (var qmp = await QmpClient.ConnectAsync(server.Path, CancellationToken.None))
            kept = await QemuHotplug.ShrinkAsync(qmp, vcpus, memoryMib, unplugCpus, bound ?? TimeSpan.FromSeconds(30), CancellationToken.None);
        await using var fresh = await QmpClient.ConnectAsync(server.Path, CancellationToken.None);
        var after = await QemuHotplug.SizeAsync(fresh, CancellationToken.None);
        lock (server.Commands)
            return (kept, after, [.. server.Commands.Where(c => c.StartsWith("device_del", StringComparison.Ordinal) || c.StartsWith("object-del", StringComparison.Ordinal))]);
    }

    private async Task<List<string>> GrowAsync(GrownVm vm, int memoryMib)
    {
        await using var server = new FakeQmpServer(Path.Combine(_dir.Path, "qmp.sock"), vm.Handle);
        await using (var qmp = await QmpClient.ConnectAsync(server.Path, CancellationToken.None))
            await QemuHotplug.GrowAsync(qmp, vcpus: 3, memoryMib, CancellationToken.None);
        lock (server.Commands)
            return [.. server.Commands.Where(c => c.Contains("\"pc-dimm\"", StringComparison.Ordinal))];
    }

    [Fact]
    public async Task New_dimms_start_on_the_guests_128_mib_block_boundaries_above_the_root_image_and_every_dimm()
    {
        // 512 MiB booted + 768 in DIMMs; the image (32 MiB at 4 GiB) is no RAM, so 256 MiB more are two DIMMs
        var added = await GrowAsync(new GrownVm(), memoryMib: 1536);
        Assert.Equal(2, added.Count);
        Assert.Contains($"\"addr\":{(1L << 32) + (896L << 20)}", added[0]); // the last DIMM ends at 4 GiB + 896 MiB
        Assert.Contains($"\"addr\":{(1L << 32) + (1024L << 20)}", added[1]);

        // only the image: QEMU would put a DIMM right after its 32 MiB, which the guest never onlines
        var vm = new GrownVm();
        vm.Dimms.Clear();
        added = await GrowAsync(vm, memoryMib: 640);
        Assert.Contains($"\"addr\":{(1L << 32) + (128L << 20)}", Assert.Single(added));

        // no memory device at all (no image, as with the initrd): QEMU picks the region's start
        var bare = new GrownVm { RootImageBytes = 0 };
        bare.Dimms.Clear();
        Assert.DoesNotContain("addr", Assert.Single(await GrowAsync(bare, memoryMib: 640)));
    }

    [Fact]
    public async Task Every_device_beyond_the_target_is_deleted_once_the_guest_ejected_it_and_its_backend_goes_after_it()
    {
        var (kept, after, commands) = await ShrinkAsync(new GrownVm(), vcpus: 1, memoryMib: 512);
        Assert.Empty(kept);
        Assert.Equal((1, 512), after);
        Assert.Equal([
            """device_del {"id":"cpu-2"}""", """device_del {"id":"cpu-1"}""",
            """device_del {"id":"dimm-hotplug-aaaaaaaa"}""", """object-del {"id":"hotplug-aaaaaaaa"}""",
            """device_del {"id":"dimm-hotplug-bbbbbbbb"}""", """object-del {"id":"hotplug-bbbbbbbb"}""",
        ], commands);
    }

    [Fact]
    public async Task A_dimm_the_guest_refuses_stays_plugged_and_counted_and_is_named()
    {
        var vm = new GrownVm { Refusing = { "dimm-hotplug-aaaaaaaa" } };
        var (kept, after, commands) = await ShrinkAsync(vm, vcpus: 2, memoryMib: 512);
        var line = Assert.Single(kept);
        Assert.StartsWith("dimm-hotplug-aaaaaaaa: the guest refused to eject it (ACPI _OST status 0x82", line);
        Assert.Equal((2, 512 + 512), after); // the refused 512 MiB DIMM is still there; the 256 MiB one went
        Assert.DoesNotContain("""object-del {"id":"hotplug-aaaaaaaa"}""", commands);
        Assert.Contains("""object-del {"id":"hotplug-bbbbbbbb"}""", commands);
    }

    [Fact]
    public async Task A_guest_that_never_answers_keeps_its_device_pending_within_the_bound()
    {
        var vm = new GrownVm { Silent = { "cpu-2" } };
        var (kept, after, commands) = await ShrinkAsync(vm, vcpus: 1, memoryMib: 1280, bound: TimeSpan.FromMilliseconds(300));
        Assert.Equal(2, kept.Count);
        Assert.StartsWith("cpu-2: the guest neither ejected nor refused it", kept[0]);
        Assert.StartsWith("cpu-1: not asked", kept[1]);
        Assert.Equal((3, 1280), after);
        Assert.Equal(["""device_del {"id":"cpu-2"}"""], commands);
    }

    [Fact]
    public async Task Under_tcg_the_vcpus_stay_plugged_and_named_and_the_memory_still_goes()
    {
        var (kept, after, commands) = await ShrinkAsync(new GrownVm(), vcpus: 1, memoryMib: 512, unplugCpus: false);
        Assert.Equal(["cpu-2", "cpu-1"], kept.Select(k => k[..k.IndexOf(':')]));
        Assert.All(kept, k => Assert.Contains("under TCG", k));
        Assert.Equal((3, 512), after);
        Assert.DoesNotContain(commands, c => c.Contains("cpu-"));
    }
}
