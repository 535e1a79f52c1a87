using SandboxRt.IntegrationTests.Support;
using SandboxRt.Oci.Spec;

namespace SandboxRt.IntegrationTests.Containers;

/// <summary>
/// The container as its own process sees it: the validator (tests/validator/validator.c) runs inside
/// and reports facts, which are checked against the spec. Isolation is asserted from the far side.
/// </summary>
[Trait("Tier", "vm")]
public sealed class IsolationTests
{
    private static Task<Dictionary<string, string>> ValidateAsync(TestBundle bundle) => ValidatorRun.RunAsync(bundle, "iso");

    [Fact]
    public async Task The_default_spec_gives_runcs_isolation()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var bundle = new TestBundle(s => s.Process!.Args = ["validator"]);
        var f = await ValidateAsync(bundle);
        Assert.Equal("1", f["pid"]);                                    // pid namespace: the workload is init
        Assert.Equal("sandboxrt", f["hostname"]);                       // uts namespace and spec.hostname
        Assert.StartsWith("6.1.", f["kernel"]);                         // the guest's kernel
        Assert.Equal("0", f["uid"]);
        Assert.Equal("0000000020000420", f["CapEff"]);                  // AUDIT_WRITE, KILL, NET_BIND_SERVICE
        Assert.Equal("0000000020000420", f["CapBnd"]);
        Assert.Equal("0000000000000000", f["CapAmb"]);
        Assert.Equal("1", f["NoNewPrivs"]);
        Assert.Equal("0", f["Seccomp"]);                                // no profile in the default spec
        Assert.Equal("1024:1024", f["rlimit_nofile"]);
        Assert.Equal("0022", f["umask"]);
        Assert.Equal("/", f["cwd"]);
        Assert.Equal("0::/", f["cgroup"]);                              // cgroup namespace rooted at the container
        Assert.DoesNotContain("eth", f["net_dev"]);                     // network namespace: loopback only
        Assert.Contains("lo:", f["net_dev"]);
        Assert.Equal("EROFS", f["write_root"]);                         // root.readonly
        Assert.Equal("EROFS", f["write_tmp"]);                          // /tmp is part of the read-only root here
        Assert.Equal("EROFS", f["write_sysrq_trigger"]);                // readonlyPaths
        Assert.Equal("char 1:3", f["kcore"]);                           // maskedPaths: /dev/null over the file
        Assert.Equal("mknod:EPERM", f["open_kmsg_node"]);               // no CAP_MKNOD in the default set
        Assert.Equal("ok", f["open_dev_null"]);
        Assert.Equal("EPERM", f["sc_mount_tmpfs"]);                     // no CAP_SYS_ADMIN
        Assert.Equal("EPERM", f["sc_unshare_uts"]);
        var mounts = f["mountinfo"].Split(';');
        Assert.Contains(mounts, m => m.Contains(" / / ro,"));
        Assert.Contains(mounts, m => m.Contains(" /proc ") && m.Contains(" - proc "));
        Assert.Contains(mounts, m => m.Contains(" /dev/pts ") && m.Contains(" - devpts "));
        Assert.DoesNotContain(mounts, m => m.Contains("/run/sandboxrt"));  // nothing of the guest is visible
    }

    /// <summary>
    /// Docker writes no rlimits unless asked (--ulimit): under runc the container's init inherits the
    /// runtime's caller's, containerd's. The VM's process gets this process's (the CLI's and its relay's
    /// are the test's) open-file and process limits, not the guest kernel's 1024:4096.
    /// </summary>
    [Fact]
    public async Task Without_rlimits_in_the_spec_the_open_file_and_process_limits_are_the_runtimes()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var bundle = new TestBundle(s =>
        {
            s.Process!.Args = ["validator"];
            s.Process.Rlimits = null;
        });
        var f = await ValidateAsync(bundle);
        Assert.Equal(ProcessLimits.Ours("Max open files", capAt: 1048576), f["rlimit_nofile"]);
        Assert.Equal(ProcessLimits.Ours("Max processes"), f["rlimit_nproc"]);
    }

    /// <summary>
    /// File capabilities an image was built with (security.capability, as `setcap cap_net_bind_service+ep`
    /// leaves it; ingress-nginx's controller runs as user 101 on that) give a non-root process that
    /// capability in the guest, as under runc: virtiofsd serves extended attributes. Before, every
    /// getxattr through the share failed with EOPNOTSUPP and the process ran with no capability.
    /// </summary>
    [Fact]
    public async Task File_capabilities_of_the_image_give_a_non_root_process_their_capability()
    {
        TestEnvironment.RequireVmPrerequisites();
        TestEnvironment.RequireCommand("setcap", "libcap2-bin");
        using var bundle = new TestBundle(s =>
        {
            s.Process!.Args = ["/opt/validator"];
            s.Process.User = new User { Uid = 1000, Gid = 1000 };
            s.Process.NoNewPrivileges = false; // no_new_privs makes execve ignore file capabilities, as Docker's default does not
        });
        var binary = Path.Combine(bundle.Rootfs, "opt", "validator");
        Directory.CreateDirectory(Path.GetDirectoryName(binary)!);
        File.Copy(TestBinaries.Validator, binary);
        (await Command.RunAsync("setcap", ["cap_net_bind_service+ep", binary])).Ok();
        var f = await ValidateAsync(bundle);
        Assert.Equal("1000", f["uid"]);
        Assert.Equal("0000000000000400", f["CapPrm"]); // NET_BIND_SERVICE, from the file (the spec's bounding set allows it)
        Assert.Equal("0000000000000400", f["CapEff"]);
    }

    [Fact]
    public async Task User_groups_umask_cwd_rlimits_oom_score_and_sysctl_are_applied()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var bundle = new TestBundle(s =>
        {
            s.Process!.Args = ["validator", "an argument"];
            s.Process.User = new User { Uid = 1000, Gid = 1000, AdditionalGids = [5, 6], Umask = 0x3F /* 0077 */ };
            s.Process.Cwd = "/tmp";
            s.Process.Env = ["PATH=/usr/bin:/bin", "GREETING=hi there"];
            s.Process.Rlimits = [new Rlimit { Type = "RLIMIT_NOFILE", Soft = 512, Hard = 768 }, new Rlimit { Type = "RLIMIT_NPROC", Soft = 100, Hard = 200 }];
            s.Process.OomScoreAdj = 123;
            s.Process.Capabilities!.Ambient = ["CAP_KILL"];
            s.Process.Capabilities.Inheritable = ["CAP_KILL"];
            s.Hostname = "validator-host";
            s.Domainname = "example.test";
            s.Root!.Readonly = false;
            s.Linux!.Sysctl = new Dictionary<string, string> { ["net.ipv4.ip_unprivileged_port_start"] = "80" };
            s.Linux.Resources!.Memory = new LinuxMemory { Limit = 100L * 1024 * 1024 };
            s.Linux.Resources.Pids = new LinuxPids { Limit = 77 };
            s.Linux.Resources.Cpu = new LinuxCpu { Quota = 50000, Period = 100000, Shares = 512 };
        });
        var f = await ValidateAsync(bundle);
        Assert.Equal("1000", f["uid"]);
        Assert.Equal("1000", f["euid"]);
        Assert.Equal("1000", f["gid"]);
        Assert.Equal("5,6", f["groups"]);
        Assert.Equal("0077", f["umask"]);
        Assert.Equal("/tmp", f["cwd"]);
        Assert.Equal("512:768", f["rlimit_nofile"]);
        Assert.Equal("100:200", f["rlimit_nproc"]);
        Assert.Equal("123", f["oom_score_adj"]);
        Assert.Equal("0000000000000020", f["CapAmb"]);                  // CAP_KILL (5) survives the uid change
        Assert.Equal("0000000000000020", f["CapEff"]);
        Assert.Equal("validator-host", f["hostname"]);
        Assert.Equal("example.test", f["domainname"]);
        Assert.Equal("80", f["sysctl_unprivileged_port_start"]);
        Assert.Equal("104857600", f["memory_max"]);
        Assert.Equal("77", f["pids_max"]);
        Assert.Equal("50000 100000", f["cpu_max"]);
        Assert.Equal("20", f["cpu_weight"]);                            // runc: 1 + (512-2)*9999/262142
        Assert.Contains("GREETING=hi there", f["env"].Split('\n'));
        Assert.Contains("HOME=/home/tester", f["env"].Split('\n'));   // from the container's /etc/passwd
        Assert.Equal("an argument", f["arg"]);
        Assert.Equal("EACCES", f["write_root"]);                        // writable root, but owned by root, not uid 1000
    }
}
