namespace SandboxRt.Cgroups.Resources;

/// <summary>One value written to one interface file of a cgroup directory.</summary>
/// <param name="File">The file name inside the cgroup directory, e.g. <c>memory.max</c>.</param>
/// <param name="Value">What is written, e.g. <c>max</c> or <c>8:0 rbps=1048576</c>.</param>
/// <param name="IgnoreIfMissing">Skip the write when the file does not exist (memory.swap.max without swap accounting).</param>
/// <param name="Field">The OCI field of a write the kernel may refuse for what it names (a device the VM does not have): its error names the field.</param>
public readonly record struct CgroupWrite(string File, string Value, bool IgnoreIfMissing = false, string? Field = null)
{
    public override string ToString() => $"{File}={Value}";
}
