namespace SandboxRt.Agent.Boot;

/// <summary>What start-up recorded, for GuestDetails: the timeline, the modules loaded and the transport.</summary>
internal sealed class BootFacts
{
    public TimeSpan AgentStart { get; set; }
    public TimeSpan SystemReady { get; set; }
    public TimeSpan Serving { get; set; }
    public List<string> LoadedModules { get; } = new();

    /// <summary>"vsock", "virtio-serial" or "unix".</summary>
    public string Transport { get; set; } = "unknown";
}
