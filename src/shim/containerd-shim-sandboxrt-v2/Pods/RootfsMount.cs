namespace SandboxRt.Shim.Pods;

/// <summary>One mount that makes up a task's root file system, as the snapshotter gave it (overlay, bind).</summary>
internal sealed record RootfsMount(string Type, string Source, IReadOnlyList<string> Options);
