using SandboxRt.Interop;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Hypervisors.Qemu;
using SandboxRt.Runtime.Hypervisors.Qemu.Templates;

namespace SandboxRt.UnitTests.Hypervisors.Templates;

/// <summary>The template layout of QEMU's command line, and what a template's key depends on.</summary>
[Trait("Tier", "unit")]
public sealed class TemplateLayoutTests
{
    private static QemuLaunchPlan Plan(HypervisorConfig config, string initrd = "/img/initrd") => new(
        "c1", config, new AcceleratorChoice("tcg", false, "test"), 1, 512, initrd, ConsoleFd: 6, QmpListenFd: 5, GuestChannelPlan.Serial(4))
    {
        AgentTokenFile = "/state/agent-token",
        MaxVcpus = 2,
        MaxMemoryMib = 2048,
    };

    private static QemuLaunchPlan Sandbox(QemuLaunchPlan plan) => plan with
    {
        SharedFs = new SharedFsPlan(SharedFsPlan.VirtioFs, "/state/shared"),
        VirtiofsdFd = 7,
        Nics = [(8, new byte[] { 2, 0, 0, 0, 0, 1 }, 1500)],
    };

    [Fact]
    public void A_cold_vm_has_its_share_and_nics_on_the_command_line()
    {
        var args = QemuCommandLine.Build(Sandbox(Plan(new HypervisorConfig())));
        Assert.Contains("vhost-user-fs-pci,id=sandboxrt-fs,chardev=vfs,tag=sandboxrt,queue-size=1024", args);
        Assert.Contains("virtio-net-pci,id=sandboxrt-nic0,netdev=net0,mac=02:00:00:00:00:01,host_mtu=1500", args);
        Assert.Contains(args, a => a.StartsWith("memory-backend-memfd,id=mem,", StringComparison.Ordinal));
        Assert.DoesNotContain(args, a => a.StartsWith("vmgenid", StringComparison.Ordinal) || a.StartsWith("pcie-root-port", StringComparison.Ordinal));
        Assert.DoesNotContain("-incoming", args);
        Assert.DoesNotContain("sandboxrt.warmup", string.Join(' ', args));
    }

    [Fact]
    public void A_clone_keeps_the_backends_but_leaves_the_devices_to_hot_plug_and_waits_for_its_state()
    {
        var args = QemuCommandLine.Build(Sandbox(Plan(new HypervisorConfig())) with { TemplateRamFile = "/state/guest-ram/ram", IncomingFd = 9 });
        Assert.Contains("memory-backend-file,id=mem,size=512M,mem-path=/state/guest-ram/ram,share=on", args);
        Assert.Contains(args, a => a.StartsWith("q35,", StringComparison.Ordinal) && a.EndsWith(",memory-backend=mem", StringComparison.Ordinal));
        Assert.Contains("socket,id=vfs,fd=7", args);
        Assert.Contains("tap,id=net0,fd=8", args);
        Assert.DoesNotContain(args, a => a.StartsWith("vhost-user-fs-pci", StringComparison.Ordinal) || a.StartsWith("virtio-net-pci", StringComparison.Ordinal));
        Assert.Contains("vmgenid,id=vmgenid0,guid=auto", args);
        Assert.Equal(QemuCommandLine.HotplugPorts, args.Count(a => a.StartsWith("pcie-root-port,", StringComparison.Ordinal)));
        Assert.Equal("defer", args[args.IndexOf("-incoming") + 1]);
        Assert.EndsWith(" sandboxrt.warmup=1", args[args.IndexOf("-append") + 1]); // as the template's: the guest does not read it again
    }

    [Fact]
    public void A_clones_hot_plugged_devices_give_qemu_numbers_as_json_numbers()
    {
        var devices = QemuCommandLine.SandboxDevices(Sandbox(Plan(new HypervisorConfig())));
        var share = QemuCommandLine.DeviceAddArguments(devices[0]);
        var nic = QemuCommandLine.DeviceAddArguments(devices[1]);
        // QEMU 10.0 (checked by hand, 2026-12-06): "Parameter 'queue-size' expects uint64" for "1024"
        Assert.Equal("""{"driver":"vhost-user-fs-pci","id":"sandboxrt-fs","chardev":"vfs","tag":"sandboxrt","queue-size":1024}""", share.ToJsonString());
        Assert.Equal("""{"driver":"virtio-net-pci","id":"sandboxrt-nic0","netdev":"net0","mac":"02:00:00:00:00:01","host_mtu":1500}""", nic.ToJsonString());
    }

    [Fact]
    public void A_template_vm_is_told_to_warm_up_before_it_serves_unless_template_warm_up_is_off()
    {
        var args = QemuCommandLine.Build(Plan(new HypervisorConfig()) with { TemplateRamFile = "/build/ram.d/ram" });
        Assert.Contains(" sandboxrt.warmup=1", args[args.IndexOf("-append") + 1]);
        Assert.DoesNotContain("-incoming", args);

        using var dir = new TempDirectory();
        var off = HypervisorConfigLoader.Load(dir.File("q.json", """{ "qemu": { "template_warm_up": false } }"""));
        Assert.False(off.Qemu.TemplateWarmUp);
        Assert.True(HypervisorConfigLoader.Load(dir.File("d.json", "{}")).Qemu.TemplateWarmUp);
        args = QemuCommandLine.Build(Plan(off) with { TemplateRamFile = "/build/ram.d/ram" });
        Assert.DoesNotContain("sandboxrt.warmup", args[args.IndexOf("-append") + 1]);
        // a template of each kind: switching it never restores a clone of the other
        Assert.NotEqual(QemuTemplateKey.Of(Plan(new HypervisorConfig())).Key, QemuTemplateKey.Of(Plan(new HypervisorConfig { Qemu = new QemuConfig { TemplateWarmUp = false } })).Key);
    }

    [Fact]
    public void The_key_ignores_what_differs_per_sandbox_and_follows_what_the_saved_vm_depends_on()
    {
        using var dir = new TempDirectory();
        var config = new HypervisorConfig { Kernel = dir.File("vmlinux", "k"), Qemu = new QemuConfig { Path = dir.File("qemu", "q") } };
        var initrd = dir.File("initrd", "i");
        var (key, _) = QemuTemplateKey.Of(Plan(config, initrd));
        Assert.Matches("^[0-9a-f]{16}$", key);
        Assert.Equal(key, QemuTemplateKey.Of(Sandbox(Plan(config, initrd)) with { Id = "other", ConsoleFd = 10, QmpListenFd = 11, IncomingFd = 12 }).Key);
        Assert.NotEqual(key, QemuTemplateKey.Of(Plan(config, initrd) with { MemoryMib = 1024 }).Key);
        Assert.NotEqual(key, QemuTemplateKey.Of(Plan(config, initrd) with { MaxVcpus = 4 }).Key);
        Assert.NotEqual(key, QemuTemplateKey.Of(Plan(config with { KernelParams = "quiet" }, initrd)).Key);
        // the jailer that starts the build: a broken jailer_path's failed build must not hold back a working one's key
        Assert.NotEqual(key, QemuTemplateKey.Of(Plan(config with { JailerPath = dir.File("failing-jailer", "exit 125") }, initrd)).Key);
        Assert.NotEqual(key, QemuTemplateKey.Of(Plan(config with { Jail = false }, initrd)).Key);
        File.WriteAllText(initrd, "a rebuilt guest image");
        Assert.NotEqual(key, QemuTemplateKey.Of(Plan(config, initrd)).Key);
    }

    [Fact]
    public void A_guest_file_rewritten_behind_its_symlink_is_a_new_input_and_so_is_the_link_pointed_elsewhere()
    {
        using var dir = new TempDirectory();
        var config = new HypervisorConfig { Kernel = dir.File("vmlinux", "k"), Qemu = new QemuConfig { Path = dir.File("qemu", "q") } };
        var versioned = dir.File("initrd-1", "i");
        var link = Path.Combine(dir.Path, "initrd");
        File.CreateSymbolicLink(link, versioned);
        var (key, inputs) = QemuTemplateKey.Of(Plan(config, link));
        Assert.Equal($"{link} 1 {File.GetLastWriteTimeUtc(versioned).Ticks}", inputs.Split('\n')[3]); // the configured path, what it names
        Assert.False(QemuTemplateKey.InputsChanged(inputs));

        File.WriteAllText(versioned, "an initrd rebuilt in place"); // the link itself untouched
        Assert.True(QemuTemplateKey.InputsChanged(inputs));
        var (rebuilt, rebuiltInputs) = QemuTemplateKey.Of(Plan(config, link));
        Assert.NotEqual(key, rebuilt);

        File.Delete(link);
        File.CreateSymbolicLink(link, dir.File("initrd-2", "another initrd, as long as the first"));
        Assert.True(QemuTemplateKey.InputsChanged(rebuiltInputs));
        File.Delete(Path.Combine(dir.Path, "initrd-2")); // a dangling link
        Assert.EndsWith($"{link} missing", QemuTemplateKey.Of(Plan(config, link)).Description.Split('\n')[3]);
    }

    [Fact]
    public void A_clones_ram_copy_has_the_templates_bytes_and_leaves_untouched_pages_as_holes()
    {
        using var dir = new TempDirectory();
        var template = Path.Combine(dir.Path, "ram");
        using (var file = File.Create(template))
        {
            file.SetLength(64 << 20);
            file.Position = 8 << 20;
            file.Write("kernel"u8);
            file.Position = 16 << 20;
            file.Write(new byte[1 << 20]); // data on disk that is all zeros: stays a hole in the copy
            file.Position = (64 << 20) - 3;
            file.Write("end"u8);
        }
        var copy = Path.Combine(dir.Path, "copy");
        long written = GuestRamCopy.Copy(template, copy);
        Assert.Equal(File.ReadAllBytes(template), File.ReadAllBytes(copy));
        Assert.True(written < 1 << 20, $"{written} bytes written for two touched chunks");
        using var copied = File.OpenHandle(copy);
        var ranges = SparseFile.DataRanges(copied, copy);
        Assert.Equal(2, ranges.Count); // the two touched chunks, not the zeros
        Assert.True(ranges.Sum(r => r.Length) < 1 << 20, string.Join(", ", ranges));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(copy));
        Assert.Throws<IOException>(() => GuestRamCopy.Copy(template, copy)); // never over an existing file
    }

    [Fact]
    public void A_zero_page_between_touched_pages_of_one_chunk_stays_a_hole_in_the_copy()
    {
        using var dir = new TempDirectory();
        var template = Path.Combine(dir.Path, "ram");
        using (var file = File.Create(template))
        {
            file.SetLength(1 << 20);
            file.Write(new byte[3 * 4096]); // three pages of data on disk: touched, zero, touched
            file.Position = 0;
            file.Write("first page"u8);
            file.Position = 2 * 4096 + 100;
            file.Write("third page"u8);
        }
        var copy = Path.Combine(dir.Path, "copy");
        Assert.Equal(2 * 4096, GuestRamCopy.Copy(template, copy));
        Assert.Equal(File.ReadAllBytes(template), File.ReadAllBytes(copy));
        using var copied = File.OpenHandle(copy);
        Assert.Equal([(0L, 4096L), (2 * 4096L, 4096L)], SparseFile.DataRanges(copied, copy));
    }

    [Fact]
    public void Templates_of_a_guest_image_that_changed_since_are_removed_and_current_ones_kept()
    {
        using var dir = new TempDirectory();
        var config = new HypervisorConfig { Kernel = dir.File("vmlinux", "k"), Qemu = new QemuConfig { Path = dir.File("qemu", "q") } };
        var initrd = dir.File("initrd", "i");
        var store = new QemuTemplateStore(Path.Combine(dir.Path, "templates"));
        void Make(QemuLaunchPlan plan)
        {
            var (key, inputs) = QemuTemplateKey.Of(plan);
            var at = Directory.CreateDirectory(Path.Combine(store.Directory, key)).FullName;
            foreach (var name in new[] { QemuTemplate.RamName, QemuTemplate.StateName, "agent-token" })
                File.WriteAllText(Path.Combine(at, name), "");
            File.WriteAllText(Path.Combine(at, QemuTemplate.InfoName), new System.Text.Json.Nodes.JsonObject { ["inputs"] = inputs }.ToJsonString());
        }
        Make(Plan(config, initrd));
        Assert.Empty(store.RemoveStale());
        File.WriteAllText(initrd, "a rebuilt guest image");
        Make(Plan(config, initrd) with { MemoryMib = 1024 });
        var current = QemuTemplateKey.Of(Plan(config, initrd) with { MemoryMib = 1024 }).Key;
        var stale = Assert.Single(store.RemoveStale());
        Assert.NotEqual(current, stale);
        Assert.Equal(current, Assert.Single(store.List()).Key);
    }

    [Fact]
    public void The_store_sees_only_complete_templates_and_refuses_keys_that_are_not_keys()
    {
        using var dir = new TempDirectory();
        var store = new QemuTemplateStore(dir.Path);
        var half = Directory.CreateDirectory(Path.Combine(dir.Path, "0123456789abcdef")).FullName;
        File.WriteAllText(Path.Combine(half, QemuTemplate.RamName), "");
        Assert.Null(store.Find("0123456789abcdef"));
        Assert.Empty(store.List());
        foreach (var name in new[] { QemuTemplate.StateName, QemuTemplate.InfoName, "agent-token" })
            File.WriteAllText(Path.Combine(half, name), "");
        Assert.NotNull(store.Find("0123456789abcdef"));
        Assert.Single(store.List());
        Assert.Throws<ArgumentException>(() => store.Remove("../etc"));
        Assert.True(store.Remove("0123456789abcdef"));
        Assert.False(Directory.Exists(half));
    }

    [Fact]
    public void Lock_files_without_a_template_go_unless_a_build_holds_them()
    {
        using var dir = new TempDirectory();
        var store = new QemuTemplateStore(dir.Path);
        const string Built = "0123456789abcdef", Failed = "1123456789abcdef", Building = "2123456789abcdef";
        var template = Directory.CreateDirectory(Path.Combine(dir.Path, Built)).FullName;
        foreach (var name in new[] { QemuTemplate.RamName, QemuTemplate.StateName, QemuTemplate.InfoName, "agent-token" })
            File.WriteAllText(Path.Combine(template, name), "");
        foreach (var key in new[] { Built, Failed, Building })
            File.WriteAllText(store.LockFile(key), "");
        File.WriteAllText(Path.Combine(dir.Path, "not-a-key.lock"), "");
        using (FileLock.Acquire(store.LockFile(Building), TimeSpan.Zero))
            Assert.Equal(1, store.RemoveOrphanLocks());

        Assert.False(File.Exists(store.LockFile(Failed)));
        Assert.True(File.Exists(store.LockFile(Built)));
        Assert.True(File.Exists(store.LockFile(Building)));
        Assert.True(File.Exists(Path.Combine(dir.Path, "not-a-key.lock")));
        Assert.NotNull(store.Find(Built));
    }

    [Fact]
    public void A_failed_build_is_recent_until_its_back_off_ends_and_a_removal_or_sweep_forgets_it()
    {
        using var dir = new TempDirectory();
        var store = new QemuTemplateStore(dir.Path);
        const string Key = "0123456789abcdef", Old = "1123456789abcdef";
        Assert.Null(store.RecentFailure(Key, TimeSpan.FromMinutes(10)));

        store.RecordFailure(Key, "the template VM's agent did not serve within 60 s" + new string('x', 5000));
        var failed = store.RecentFailure(Key, TimeSpan.FromMinutes(10));
        Assert.NotNull(failed);
        Assert.StartsWith("the template VM's agent did not serve within 60 s", failed.Reason);
        Assert.Equal(2000, failed.Reason.Length); // bounded
        Assert.InRange(failed.Age, TimeSpan.Zero, TimeSpan.FromMinutes(1));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.FailureFile(Key)));

        store.RecordFailure(Old, "older");
        File.SetLastWriteTimeUtc(store.FailureFile(Old), DateTime.UtcNow - TimeSpan.FromMinutes(11));
        Assert.Null(store.RecentFailure(Old, TimeSpan.FromMinutes(10))); // tried again after the back-off
        File.WriteAllText(Path.Combine(dir.Path, "not-a-key.failed"), "");
        File.SetLastWriteTimeUtc(Path.Combine(dir.Path, "not-a-key.failed"), DateTime.UtcNow - TimeSpan.FromMinutes(11));
        Assert.Equal(1, store.RemoveExpiredFailures(TimeSpan.FromMinutes(10)));
        Assert.False(File.Exists(store.FailureFile(Old)));
        Assert.True(File.Exists(store.FailureFile(Key)));
        Assert.True(File.Exists(Path.Combine(dir.Path, "not-a-key.failed")));

        var template = Directory.CreateDirectory(Path.Combine(dir.Path, Key)).FullName; // built since, by `template create`, then removed
        foreach (var name in new[] { QemuTemplate.RamName, QemuTemplate.StateName, QemuTemplate.InfoName, "agent-token" })
            File.WriteAllText(Path.Combine(template, name), "");
        Assert.True(store.Remove(Key));
        Assert.Null(store.RecentFailure(Key, TimeSpan.FromMinutes(10)));
    }
}
