// The last steps of a container's init, on the thread that will execve (capabilities, no_new_privs and
// seccomp are per thread), in runc's order (finalizeNamespace):
//   cwd → signals to default, empty mask → [seccomp, when no_new_privs is off: loading it needs CAP_SYS_ADMIN, still held here]
//   → bounding set → keep caps → groups, gid, uid → clear keep caps → capset and ambient
//   (an ambient capability that cannot be raised, EPERM because it is not in the permitted and
//   inheritable sets, is left out with a warning, as runc does: `runc spec` lists ambient capabilities
//   without inheritable ones, and runc runs that bundle)
//   → umask → no_new_privs → [seccomp, when no_new_privs is on] → execve.
// Everything up to execve runs as the .NET runtime, so a seccomp profile must allow what the runtime
// does between loading it and exec (futex, mmap, write...); Docker's default profile does.
using SandboxRt.Agent.Init.Syscalls;
using SandboxRt.Interop;
using SandboxRt.Oci.Validation;

namespace SandboxRt.Agent.Init;

internal static class ProcessFinalizer
{
    /// <param name="warn">Where a warning goes (the agent's log, through the init channel).</param>
    public static void Run(Oci.Spec.Process process, Seccomp.SeccompProgram? seccomp, Action<string> warn, IInitSyscalls sys)
    {
        InitStep.Run("process.cwd", () => sys.ChangeDirectory(process.Cwd));
        // before any seccomp filter, which may not allow rt_sigaction
        InitStep.Run("signals", sys.RestoreDefaultSignals);
        if (!process.NoNewPrivileges)
            SeccompStep.Install(seccomp, sys);

        var caps = CapabilitySets.From(process.Capabilities);
        InitStep.Run("process.capabilities.bounding", () =>
        {
            for (int cap = 0; cap <= CapabilityNames.Last; cap++)
                if (!CapabilitySets.Has(caps.Bounding, cap))
                    sys.DropBounding(cap);
        });
        InitStep.Run("process.user", () =>
        {
            sys.SetKeepCapabilities(true);
            var groups = process.User.AdditionalGids ?? [];
            sys.SetGroups(groups);
            sys.SetGid(process.User.Gid);
            sys.SetUid(process.User.Uid);
            sys.SetKeepCapabilities(false);
        });
        InitStep.Run("process.capabilities", () =>
        {
            sys.SetCapabilities(caps.Effective, caps.Permitted, caps.Inheritable);
            sys.ClearAmbient();
            for (int cap = 0; cap <= CapabilityNames.Last; cap++)
                if (CapabilitySets.Has(caps.Ambient, cap))
                {
                    try
                    {
                        sys.RaiseAmbient(cap);
                    }
                    catch (SyscallException e) when (e.Errno == Errno.EPERM)
                    {
                        warn($"process.capabilities.ambient: can't raise ambient capability {CapabilityNames.NameOf(cap)}: EPERM (it is not in both the permitted and the inheritable set); left out, as runc does");
                    }
                }
        });
        sys.SetUmask(process.User.Umask ?? 0x12 /* 0022 */);
        // Resolve the program before the filter goes on: from then on the runtime should only exec.
        var environment = ProcessEnvironment.Build(process);
        var program = process.Args![0];
        var path = ExecutableResolver.Resolve(program, environment)
            ?? throw new ExecFailedException($"exec: \"{program}\": executable file not found in $PATH", Errno.ENOENT);
        if (process.NoNewPrivileges)
        {
            InitStep.Run("process.noNewPrivileges", sys.SetNoNewPrivileges);
            SeccompStep.Install(seccomp, sys);
        }
        try
        {
            sys.Execute(path, process.Args, environment);
        }
        catch (SyscallException e)
        {
            throw new ExecFailedException($"exec: \"{program}\": {e.Message}", e.Errno);
        }
    }
}
