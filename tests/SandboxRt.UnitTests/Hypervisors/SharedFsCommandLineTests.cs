using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Hypervisors.Qemu;

namespace SandboxRt.UnitTests.Hypervisors;

/// <summary>The shared-fs devices on QEMU's command line: what the file server exports, and how.</summary>
[Trait("Tier", "unit")]
public sealed class SharedFsCommandLineTests
{
    private static List<string> Build(SharedFsPlan fs, int virtiofsdFd = -1) => QemuCommandLine.Build(new QemuLaunchPlan(
        "c1", new HypervisorConfig(), new AcceleratorChoice("tcg", false, "test"), 1, 512, "/img/initrd",
        ConsoleFd: 6, QmpListenFd: 5, GuestChannelPlan.Serial(4), fs) { VirtiofsdFd = virtiofsdFd });

    [Fact]
    public void A_state_directory_with_commas_reaches_virtiofsd_and_qemu_whole()
    {
        // libfuse splits an -o value at commas unless escaped with a backslash; QEMU's options double them
        var program = SandboxRt.Runtime.Hypervisors.SharedFs.VirtiofsDaemon.ProgramArguments("/usr/lib/qemu/virtiofsd", @"/srv/r o,t=1\x/c1/shared", "auto");
        Assert.Equal(@"source=/srv/r o\,t=1\\x/c1/shared", program[program.IndexOf("-o") + 1]);
        var args = Build(new SharedFsPlan(SharedFsPlan.Virtio9p, "/srv/r o,t=1/c1/shared"));
        var fsdev = args[args.IndexOf("-fsdev") + 1];
        Assert.StartsWith("local,id=share,path=/srv/r o,,t=1/c1/shared,", fsdev);
    }

    [Fact]
    public void Nine_p_exports_the_read_only_view_in_mapped_xattr_mode_never_passthrough()
    {
        var args = Build(new SharedFsPlan(SharedFsPlan.Virtio9p, "/run/s/c1/shared"));
        var fsdev = args[args.IndexOf("-fsdev") + 1];
        Assert.Equal("local,id=share,path=/run/s/c1/shared,security_model=mapped-xattr,multidevs=remap", fsdev);
        Assert.DoesNotContain(args, a => a.Contains("passthrough"));
        Assert.Contains($"virtio-9p-pci,id=sandboxrt-fs,fsdev=share,mount_tag={SharedFsPlan.Tag}", args);
    }

    [Fact]
    public void Virtio_fs_talks_to_virtiofsd_and_exports_nothing_itself()
    {
        var args = Build(new SharedFsPlan(SharedFsPlan.VirtioFs, "/run/s/c1/shared"), virtiofsdFd: 7);
        Assert.Contains("socket,id=vfs,fd=7", args);
        Assert.DoesNotContain("-fsdev", args);
    }

    [Fact]
    public void Virtiofsd_serves_xattrs_through_a_map_that_passes_file_capabilities_and_refuses_the_hosts_labels()
    {
        var program = SandboxRt.Runtime.Hypervisors.SharedFs.VirtiofsDaemon.ProgramArguments("/usr/lib/qemu/virtiofsd", "/run/s/c1/shared", "auto");
        var options = program.Select((a, i) => (a, i)).Where(x => x.i > 0 && program[x.i - 1] == "-o").Select(x => x.a).ToList();
        Assert.Contains("xattr", options);
        Assert.Contains("modcaps=-mknod", options);
        var map = Assert.Single(options, o => o.StartsWith("xattrmap=", StringComparison.Ordinal))["xattrmap=".Length..];
        // rules, first match wins: security.capability passes before security.* is refused, and the catch-all is last
        var rules = new List<string>();
        for (int at = 0; at < map.Length;)
        {
            // a rule is :type:scope:key:prepend: (its first character is its separator)
            int end = at;
            for (int fields = 0; fields < 4; fields++)
                end = map.IndexOf(':', end + 1);
            rules.Add(map[(at + 1)..end]);
            at = end + 1;
        }
        Assert.Equal(["ok:all:security.capability:security.capability", "bad:all:security.:security.", "bad:all:trusted.:trusted.", "ok:all::"], rules);
        Assert.DoesNotContain(',', map); // libfuse would split an -o value there
    }
}
