using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Hypervisors.Jail;

namespace SandboxRt.UnitTests.Hypervisors;

[Trait("Tier", "unit")]
public sealed class JailLayoutTests
{
    [Fact]
    public void Symlinks_on_the_way_are_recreated_and_their_targets_bound()
    {
        using var dir = new TempDirectory();
        var root = dir.Path;
        Directory.CreateDirectory(Path.Combine(root, "usr", "lib", "arch"));
        File.WriteAllText(Path.Combine(root, "usr", "lib", "arch", "ld.so"), "");
        File.CreateSymbolicLink(Path.Combine(root, "lib"), "usr/lib");                       // relative, like /lib -> usr/lib
        Directory.CreateDirectory(Path.Combine(root, "usr", "lib64"));
        File.CreateSymbolicLink(Path.Combine(root, "usr", "lib64", "ld.so"), root + "/lib/arch/ld.so"); // absolute
        var layout = new JailLayout();
        var real = layout.Expose(root + "/usr/lib64/ld.so");
        Assert.Equal(root + "/usr/lib/arch/ld.so", real);
        Assert.Equal([(root + "/lib/arch/ld.so", root + "/usr/lib64/ld.so"), ("usr/lib", root + "/lib")], layout.Symlinks);
        Assert.Equal([real], layout.Binds);
    }

    [Fact]
    public void A_bound_directory_covers_what_is_inside_it()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(dir.Path, "lib"));
        var a = dir.File("lib/a.so", "");
        dir.File("lib/b.so", "");
        var layout = new JailLayout();
        layout.Expose(a);
        layout.ExposeDirectoryOf(a);
        layout.Expose(Path.Combine(dir.Path, "lib", "b.so"));
        Assert.Equal([Path.Combine(dir.Path, "lib")], layout.Binds);
        // a library's versioned symlink inside the bound directory comes with it
        File.CreateSymbolicLink(Path.Combine(dir.Path, "lib", "c.so"), "b.so");
        layout.ExposeDirectoryOf(Path.Combine(dir.Path, "lib", "c.so"));
        Assert.Empty(layout.Symlinks);
    }

    [Fact]
    public void A_served_directory_is_writable_and_cannot_overlap_the_read_only_binds()
    {
        using var dir = new TempDirectory();
        var served = Path.Combine(dir.Path, "state", "shared");
        Directory.CreateDirectory(served);
        var layout = new JailLayout();
        layout.Expose(dir.File("vmlinux", ""));
        Assert.Equal(served, layout.ExposeWritable(served));
        Assert.Equal([served], layout.WritableBinds);
        var args = JailerCommand.Build("/j", new JailSpec { Root = "/r", Layout = layout }, ["/q"]);
        Assert.Equal(["--bind-rw", served, served], args.SkipWhile(a => a != "--bind-rw").Take(3));
        var overlapping = new JailLayout();
        overlapping.Expose(dir.Path);
        Assert.Throws<HypervisorException>(() => overlapping.ExposeWritable(served));
    }

    [Fact]
    public void A_missing_path_is_named() =>
        Assert.Contains("/no/such/file", Assert.Throws<HypervisorException>(() => new JailLayout().Expose("/no/such/file")).Message);

    [Fact]
    public void Qemus_libraries_are_found_from_its_elf_headers()
    {
        const string Qemu = "/usr/bin/qemu-system-x86_64";
        if (!File.Exists(Qemu))
            Assert.Skip($"{Qemu} is not installed");
        var libraries = ElfDependencies.Resolve(Qemu);
        Assert.Contains("/lib64/ld-linux-x86-64.so.2", libraries);
        Assert.Contains(libraries, l => l.EndsWith("/libc.so.6"));
        Assert.Contains(libraries, l => l.EndsWith("/libglib-2.0.so.0"));
        Assert.All(libraries, l => Assert.True(File.Exists(l), l));
    }

    [Fact]
    public void The_jailer_command_line_carries_the_whole_spec()
    {
        var layout = new JailLayout();
        var args = JailerCommand.Build("/bin/jailer", new JailSpec
        {
            Cgroups = ["/sys/fs/cgroup/memory/p"],
            Root = "/run/x/jail",
            Layout = layout,
            Devices = ["/dev/null"],
            PrivateDevices = ["/dev/kvm"],
            User = new JailUser(2000000005, 2000000005),
            KeepDescriptors = [3, 4],
        }, ["/usr/bin/qemu", "-name", "x"]);
        Assert.Equal(["/bin/jailer", "--cgroup", "/sys/fs/cgroup/memory/p", "--root", "/run/x/jail", "--dev", "/dev/null", "--dev-private", "/dev/kvm",
                      "--uid", "2000000005", "--gid", "2000000005", "--keep-fd", "3", "--keep-fd", "4", "--", "/usr/bin/qemu", "-name", "x"], args);
        var root = JailerCommand.Build("/bin/jailer", new JailSpec { Capabilities = [0, 21] }, ["/usr/lib/qemu/virtiofsd"]);
        Assert.Equal(["/bin/jailer", "--caps", "0,21", "--", "/usr/lib/qemu/virtiofsd"], root);
    }

    [Fact]
    public void A_nine_p_server_gets_its_own_descriptor_directory_and_nothing_else_of_proc()
    {
        var args = JailerCommand.Build("/bin/jailer", new JailSpec { Root = "/r", Layout = new JailLayout(), OwnDescriptorDirectory = true }, ["/q"]);
        Assert.Equal(["/bin/jailer", "--root", "/r", "--proc-self-fd", "--", "/q"], args);
        Assert.DoesNotContain("--proc-self-fd", JailerCommand.Build("/bin/jailer", new JailSpec { Root = "/r", Layout = new JailLayout() }, ["/q"]));
    }
}
