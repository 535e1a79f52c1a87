namespace SandboxRt.Runtime.Hypervisors.Qemu.Templates;

/// <summary>What a QEMU launch does with templates: builds one (its RAM goes to <see cref="BuildRamFile"/>) or restores <see cref="Template"/>.</summary>
internal sealed record TemplateUse(string? BuildRamFile, QemuTemplate? Template)
{
    public static TemplateUse Build(string ramFile) => new(ramFile, null);
    public static TemplateUse Restore(QemuTemplate template) => new(null, template);
}
