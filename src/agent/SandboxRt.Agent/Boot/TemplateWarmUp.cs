// A template's warm-up: what a clone's first container would otherwise do for the first time.
//
// Under TCG a clone starts with an empty translation cache, and that cannot be saved. What can be saved
// is the guest's own first-time work: the agent's lazy initialisation (System.Text.Json's metadata for
// the whole OCI spec, NativeAOT's type loader building generic types at run time, the thread pool, the
// container manager's statics) and the kernel's (slab caches, the first cgroup and namespaces). Measured
// with QEMU's in_asm log, that first-time work was a third of the agent's code translated in a clone's
// first CreateContainer: the JSON metadata alone 4,500 translation blocks.
//
// So a template VM (kernel command line sandboxrt.warmup=1, set only by the host's template builder)
// builds and removes one container before it serves, and the host saves it after that. The container is
// runc's default spec (Oci/Spec/DefaultSpec.cs) with a one-rule seccomp profile, on an empty tmpfs of its
// own, parsed from JSON as the host's specs are, and its start fails as the VM caches' warm-up does (the
// root has no program): create, start, remove. It holds nothing secret and leaves nothing behind but
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
    private const string Directory = "/run/sandboxrt-warm-up";

    public static async Task RunAsync(ContainerManager containers)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var rootfs = Path.Combine(Directory, "rootfs");
        bool mounted = false, created = false, done = false;
        try
        {
            System.IO.Directory.CreateDirectory(rootfs);
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
                System.IO.Directory.Delete(Directory, recursive: true);
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

    /// <summary>runc's default spec on <paramref name="rootfs"/>, with a program that does not exist and a seccomp rule.</summary>
    internal static Spec Spec(string rootfs)
    {
        var spec = DefaultSpec.Create();
        spec.Process!.Terminal = false;
        spec.Process.Args = ["/warm-up"];
        spec.Root = new Root { Path = rootfs, Readonly = true };
        spec.Hostname = "warm-up";
        spec.Linux!.Seccomp = new LinuxSeccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Architectures = ["SCMP_ARCH_X86_64"],
            Syscalls = [new LinuxSyscall { Names = ["kexec_load", "open_by_handle_at"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 1 }],
        };
        return spec;
    }
}
