namespace SandboxRt.Cgroups.Resources;

/// <summary>The writes that apply OCI linux.resources to a cgroup v2 directory, in order, and what was ignored.</summary>
/// <param name="Writes">Interface-file writes in the order they must happen.</param>
/// <param name="Warnings">One message per OCI field that cgroup v2 cannot express and that was therefore ignored.</param>
public sealed record CgroupResourcePlan(IReadOnlyList<CgroupWrite> Writes, IReadOnlyList<string> Warnings);
