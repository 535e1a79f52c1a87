namespace SandboxRt.Oci.Spec;

/// <summary>
/// Lifecycle hooks (config.md#posix-platform-hooks). prestart is deprecated in favour of
/// createRuntime but still sent by Docker.
/// </summary>
public sealed class Hooks
{
    public List<Hook>? Prestart { get; set; }
    public List<Hook>? CreateRuntime { get; set; }
    public List<Hook>? CreateContainer { get; set; }
    public List<Hook>? StartContainer { get; set; }
    public List<Hook>? Poststart { get; set; }
    public List<Hook>? Poststop { get; set; }
}
