namespace SandboxRt.Runtime.Hypervisors;

/// <summary>The environment a VMM and its helpers (virtiofsd) start with: a fixed PATH, nothing inherited.</summary>
internal static class HelperEnvironment
{
    public static readonly IReadOnlyList<string> Variables = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"];
}
