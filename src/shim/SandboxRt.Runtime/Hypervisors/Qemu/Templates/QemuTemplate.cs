namespace SandboxRt.Runtime.Hypervisors.Qemu.Templates;

/// <summary>
/// A saved VM that clones restore from (see QemuTemplateStore for the design). Its directory, root's and
/// mode 0700, holds the guest RAM as it was when the agent served (<c>ram</c>, sparse), QEMU's device
/// state (<c>state</c>, a few hundred KiB), the agent token it booted with (<c>agent-token</c>) and what
/// it was built from (<c>template.json</c>).
/// </summary>
internal sealed record QemuTemplate(string Key, string Directory)
{
    public const string RamName = "ram", StateName = "state", InfoName = "template.json";

    public string RamFile => Path.Combine(Directory, RamName);
    public string StateFile => Path.Combine(Directory, StateName);
    public string TokenDirectory => Directory; // Channels.AgentToken.Load reads <dir>/agent-token
    public string InfoFile => Path.Combine(Directory, InfoName);

    public bool IsComplete => File.Exists(RamFile) && File.Exists(StateFile) && File.Exists(InfoFile)
                              && File.Exists(Channels.AgentToken.PathIn(Directory));
}
