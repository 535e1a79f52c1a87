// The last steps of a process's init as sandboxrt-init operations, in runc's order (finalizeNamespace):
// cwd → signals → [seccomp without no_new_privs] → bounding set → user (keep-caps across the id change) →
// capabilities and ambient → umask → resolve the program (before any filter, so the lookup is not
// filtered) → [no_new_privs, seccomp last] → execve.
using SandboxRt.Oci.Validation;
using SandboxRt.Seccomp;

namespace SandboxRt.Agent.Init.Native;

internal static class FinalizerPlan
{
    /// <summary>PATH when the process's environment has none (runc's default).</summary>
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>The process's environment, with runc's default PATH when it has none.</summary>
    public static List<string> Environment(Oci.Spec.Process process)
    {
        var environment = new List<string>(process.Env ?? []);
        if (!environment.Any(e => e.StartsWith("PATH=", StringComparison.Ordinal)))
            environment.Add("PATH=" + DefaultPath);
        return environment;
    }

    /// <summary>
    /// Before ready: a program that cannot be found or executed fails create, as runc's looks it up before
    /// it waits for start (InitPlan.CheckProgram). Not for a program named relative to the working
    /// directory, nor one looked up on a PATH with relative entries: the check runs before the chdir.
    /// </summary>
    public static void AppendProgramCheck(InitPlan plan, Oci.Spec.Process process)
    {
        var program = process.Args![0];
        var environment = Environment(process);
        var path = environment.Last(e => e.StartsWith("PATH=", StringComparison.Ordinal))[5..];
        bool relative = program.Contains('/') ? !program.StartsWith('/') : path.Split(':').Any(d => d.Length > 0 && !d.StartsWith('/'));
        if (!relative)
            plan.CheckProgram(program, environment);
    }

    public static void Append(InitPlan plan, Oci.Spec.Process process, SeccompProgram? seccomp)
    {
        plan.ChangeDirectory("process.cwd", process.Cwd);
        plan.DefaultSignals("signals");
        if (!process.NoNewPrivileges && seccomp is not null)
            plan.Seccomp("linux.seccomp", seccomp.Instructions.AsSpan(), (uint)seccomp.Flags);
        var caps = CapabilitySets.From(process.Capabilities);
        plan.BoundingSet("process.capabilities.bounding", caps.Bounding, CapabilityNames.Last);
        plan.User("process.user", process.User.Uid, process.User.Gid, process.User.AdditionalGids ?? []);
        plan.Capabilities("process.capabilities", caps.Effective, caps.Permitted, caps.Inheritable);
        for (int cap = 0; cap <= CapabilityNames.Last; cap++)
            if (CapabilitySets.Has(caps.Ambient, cap))
                plan.RaiseAmbient("process.capabilities", cap, CapabilityNames.NameOf(cap));
        plan.Umask("process.user.umask", process.User.Umask ?? 0x12 /* 0022 */);
        var environment = Environment(process);
        bool hasHome = environment.Any(e => e.StartsWith("HOME=", StringComparison.Ordinal));
        plan.Resolve(process.Args![0], process.Args, environment, hasHome ? null : process.User.Uid);
        if (process.NoNewPrivileges)
        {
            plan.NoNewPrivileges("process.noNewPrivileges");
            if (seccomp is not null)
                plan.Seccomp("linux.seccomp", seccomp.Instructions.AsSpan(), (uint)seccomp.Flags);
        }
        plan.Execute();
    }
}
