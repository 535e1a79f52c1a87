// A template's warm-up: what a clone's first container would otherwise do for the first time.
//
// Under TCG a clone starts with an empty translation cache, and that cannot be saved. What can be saved
// is the guest's own first-time work: the agent's lazy initialisation (System.Text.Json's metadata for
// the whole OCI spec, the container manager's, the seccomp compiler's) and the kernel's (slab caches, the
// first cgroup and namespaces). Measured with QEMU's in_asm log, this warm-up took the agent's share of
// what a clone's first `run` translated from 31,000 to 20,700 translation blocks (the JSON metadata
// alone was 4,500); the host's first session, which the template builder now also has before the save,
// took it to 18,200 (Kestrel's and NativeAOT's run-time types: docs/benchmarks.md).
//
// So a template VM (kernel command line sandboxrt.warmup=1: the host puts it on every templated launch,
// and only the template's boot reads it) builds and removes one container before it serves, and the
// host saves it after that. The container is runc's default spec (Oci/Spec/DefaultSpec.cs) with what
// Docker and CRI add (limits, sysctls, a seccomp profile with argument rules: see Spec below), on an
// empty tmpfs of its own, parsed from JSON as the host's specs are, and its start fails as the VM
// caches' warm-up does (its program is the root directory: create's check that the program can be
// executed passes, as root may search a directory, and the start's execve fails): create, start, remove. It holds nothing secret and leaves nothing behind but
// what the runtime keeps (metadata, built types); the clone reseeds its random state and gets its token
// after the restore as before. A cold VM never runs it: there it would compete with the host's first
// request (tried on 2026-12-05: slower). A failure is logged and the template is built without it.
using SandboxRt.Agent.Containers;
using SandboxRt.Interop;
using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;

namespace SandboxRt.Agent.Boot;

internal static class TemplateWarmUp
{
    public const string ContainerId = "sandboxrt-template-warm-up";
    private const string WarmUpDirectory = "/run/sandboxrt-warm-up";

    public static async Task RunAsync(ContainerManager containers)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var rootfs = Path.Combine(WarmUpDirectory, "rootfs");
        bool mounted = false, created = false, done = false;
        try
        {
            Directory.CreateDirectory(rootfs);
            FileSystem.Mount("tmpfs", rootfs, "tmpfs", MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec, "size=1m,mode=0755");
            mounted = true;
            var spec = SpecLoader.Parse(SpecLoader.Serialize(Spec(rootfs)), "the warm-up spec");
            await containers.CreateAsync(ContainerId, spec, stdin: false);
            created = true;
            try
            {
                await containers.StartAsync(ContainerId);
            }
            catch (InitFailedException e)
            {
                AgentLog.Trace($"template warm-up: the start failed as it should: {e.Message}");
            }
            done = true;
        }
        catch (Exception e)
        {
            AgentLog.Warn($"template warm-up failed, the template is saved without it: {e.Message}");
        }
        finally
        {
            if (created && !await RemoveAsync(containers))
                done = false;
            if (mounted)
                FileSystem.TryUnmount(rootfs, detach: true);
            try
            {
                Directory.Delete(WarmUpDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
        // What the warm-up allocated and dropped is not saved into the template: a compacted heap, and
        // the pages the GC gives back are reported free (the balloon) before the host saves.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (done)
            AgentLog.Info($"template warm-up: a container built and removed in {watch.Elapsed.TotalMilliseconds:F0} ms");
    }

    private static async Task<bool> RemoveAsync(ContainerManager containers)
    {
        try
        {
            await containers.RemoveAsync(ContainerId, force: true);
            return true;
        }
        catch (Exception e)
        {
            AgentLog.Warn($"template warm-up: removing its container failed: {e.Message}");
            return false;
        }
    }

    /// <summary>
    /// runc's default spec on <paramref name="rootfs"/> with a program that does not exist, and what Docker's
    /// and the CRI plugin's specs add to it (the fixture configs of docker run and CRI): the device
    /// cgroup's allow list, memory, CPU and pid limits (not an I/O weight: the guest has no io controller), sysctls, an OOM score, additional groups,
    /// annotations, and a seccomp profile with argument rules, so that the JSON metadata and code their
    /// first container needs have run too.
    /// </summary>
    internal static Spec Spec(string rootfs)
    {
        var spec = DefaultSpec.Create();
        spec.Process!.Terminal = false;
        spec.Process.Args = ["/"]; // passes create's program check (a directory root may search); execve fails at start
        spec.Process.OomScoreAdj = 0;
        spec.Process.User = new User { Uid = 0, Gid = 0, AdditionalGids = [0, 1, 2] };
        spec.Root = new Root { Path = rootfs, Readonly = true };
        spec.Hostname = "warm-up";
        spec.Annotations = new() { ["io.sandboxrt.warm-up"] = "template" };
        spec.Linux!.Sysctl = new() { ["net.ipv4.ip_unprivileged_port_start"] = "0", ["net.ipv4.ping_group_range"] = "0 2147483647" };
        spec.Linux.Resources = new LinuxResources
        {
            Devices =
            [
                new LinuxDeviceCgroup { Allow = false, Access = "rwm" },
                new LinuxDeviceCgroup { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rwm" },
                new LinuxDeviceCgroup { Allow = true, Type = "c", Major = 1, Minor = 5, Access = "rwm" },
                new LinuxDeviceCgroup { Allow = true, Type = "c", Major = 5, Minor = 0, Access = "rwm" },
            ],
            Memory = new LinuxMemory { Limit = 256L << 20 },
            Cpu = new LinuxCpu { Shares = 1024, Quota = 100000, Period = 100000 },
            Pids = new LinuxPids { Limit = 1024 },
        };
        spec.Linux.Seccomp = new LinuxSeccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            Syscalls =
            [
                new LinuxSyscall { Names = ["kexec_load", "open_by_handle_at", "bpf", "perf_event_open"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 1 },
                new LinuxSyscall { Names = ["personality"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 1, Args = [new LinuxSeccompArg { Index = 0, Value = 0x0d, Op = "SCMP_CMP_EQ" }] },
                new LinuxSyscall { Names = ["clone"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 1, Args = [new LinuxSeccompArg { Index = 0, Value = 0x10000000, ValueTwo = 0x10000000, Op = "SCMP_CMP_MASKED_EQ" }] },
            ],
        };
        return spec;
    }
}
