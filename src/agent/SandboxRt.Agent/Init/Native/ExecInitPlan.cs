// What sandboxrt-init does for an exec: join the container's mount namespace
// (fd 4) → [terminal from the container's devpts] → rlimits, oom_score_adj → finalize. Unlike a new
// container, an exec has no "created" state to stop in, so the plan has no Ready: the init runs straight
// to execve and the agent reads the outcome in one pass (one round trip over the init socket, not two).
// Everything that can be refused (capability and rlimit names, the seccomp profile) is refused here,
// in the agent, before the init is asked to do anything.
using SandboxRt.Oci.Validation;
using SandboxRt.Seccomp;

namespace SandboxRt.Agent.Init.Native;

internal static class ExecInitPlan
{
    public static InitPlan Build(Oci.Spec.Process process, SeccompProgram? seccomp)
    {
        var plan = new InitPlan();
        plan.SetNamespace("join mount namespace", NativeInit.MountNamespaceFd, NamespaceTypes.CloneFlag(NamespaceTypes.Mount));
        if (process.Terminal)
            plan.Terminal("process.terminal", bindConsole: false,
                process.ConsoleSize is { } size ? ((ushort)size.Height, (ushort)size.Width) : null);
        ProcessLimits(plan, process);
        FinalizerPlan.Append(plan, process, seccomp);
        return plan;
    }

    /// <summary>process.rlimits and process.oomScoreAdj, applied after the root file system and before the finishing steps.</summary>
    public static void ProcessLimits(InitPlan plan, Oci.Spec.Process process)
    {
        for (int i = 0; i < (process.Rlimits?.Count ?? 0); i++)
        {
            var r = process.Rlimits![i];
            if (!RlimitNames.TryGetNumber(r.Type, out int resource))
                throw new InitStepException($"process.rlimits[{i}].type", $"unknown resource limit '{r.Type}'");
            plan.ResourceLimit($"process.rlimits[{i}]", resource, r.Soft, r.Hard);
        }
        if (process.OomScoreAdj is { } adj)
            plan.WriteFile("process.oomScoreAdj", "/proc/self/oom_score_adj", adj.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
