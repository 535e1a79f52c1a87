namespace SandboxRt.Runtime.Hypervisors;

/// <summary>How the sandbox's shared directory reaches the guest: virtio-fs through virtiofsd, or virtio-9p.</summary>
public sealed record SharedFsPlan(string Kind, string HostDirectory)
{
    /// <summary>The tag the guest mounts (virtio-fs tag or 9p mount_tag).</summary>
    public const string Tag = "sandboxrt";

    public const string VirtioFs = "virtio-fs", Virtio9p = "virtio-9p";

    /// <summary>The guest agent's name for the driver (CreateSandbox's shared.driver).</summary>
    public string GuestDriver => Kind == VirtioFs ? "virtiofs" : "9p";
}
