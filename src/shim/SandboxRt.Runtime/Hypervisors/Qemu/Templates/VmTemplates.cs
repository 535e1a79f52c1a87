using System.Text.Json.Nodes;
using SandboxRt.Runtime.Configuration;

namespace SandboxRt.Runtime.Hypervisors.Qemu.Templates;

/// <summary>`sandboxrt template create|list|remove`: the configured template directory, from the command line.</summary>
public static class VmTemplates
{
    /// <summary>One template as `list` shows it.</summary>
    public sealed record Entry(string Key, string Directory, string Built, int Vcpus, int MemoryMib, long AgentServingMs);

    public static IReadOnlyList<Entry> List(HypervisorConfig config) =>
        new QemuTemplateStore(config.Qemu.TemplateDirectory).List().Select(Describe).ToList();

    public static bool Remove(HypervisorConfig config, string key) => new QemuTemplateStore(config.Qemu.TemplateDirectory).Remove(key);

    /// <summary>
    /// Makes sure the template a sandbox of the configured default size would use exists (building it
    /// now if not, also when a build of it failed recently) and returns it; fails with why when this
    /// configuration cannot have one.
    /// </summary>
    public static async Task<Entry> CreateAsync(HypervisorConfig config, CancellationToken cancellationToken = default)
    {
        if (config.Hypervisor != "qemu")
            throw new HypervisorException($"hypervisor {config.Hypervisor}: VM templates are made by the QEMU driver only");
        var hypervisor = new QemuHypervisor(config);
        var max = Sandboxes.VmSize.Max(config);
        var request = new VmLaunchRequest("template", config.Qemu.TemplateDirectory, config) { MaxVcpus = max.Vcpus, MaxMemoryMib = max.MemoryMib };
        var (template, reason, _) = await QemuTemplates.PrepareAsync(hypervisor, config, request, QemuGuestRoot.For(config, null), retryFailedBuild: true, cancellationToken);
        return template is null ? throw new HypervisorException(reason ?? "no template") : Describe(template);
    }

    private static Entry Describe(QemuTemplate template)
    {
        JsonNode? info = null;
        try
        {
            info = JsonNode.Parse(File.ReadAllText(template.InfoFile));
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
        {
        }
        return new Entry(template.Key, template.Directory, info?["built"]?.GetValue<string>() ?? "",
            info?["vcpus"]?.GetValue<int>() ?? 0, info?["memory_mib"]?.GetValue<int>() ?? 0, info?["agent_serving_ms"]?.GetValue<long>() ?? 0);
    }
}
