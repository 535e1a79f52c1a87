namespace SandboxRt.Runtime.Hypervisors.Qemu.Templates;

/// <summary>A failed build of a template, as recorded in its key's KEY.failed: why, and how long ago.</summary>
internal sealed record TemplateBuildFailure(string Reason, TimeSpan Age);
