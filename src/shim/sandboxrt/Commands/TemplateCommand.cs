using System.CommandLine;
using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.Hypervisors.Qemu.Templates;

namespace SandboxRt.Cli.Commands;

/// <summary>`template create|list|remove`: the VM templates sandboxes start from (qemu.vm_template).</summary>
internal sealed class TemplateCommand : ICommand
{
    public string Name => "template";
    public string Usage => "VM templates: create (the one for the configured default size), list, remove KEY|--all";
    public string ArgumentsHelp => "create|list|remove [KEY...]";
    public IReadOnlyList<Option> Options { get; } = [CliOptions.Switch("all", "remove: every template")];

    public async Task<int> RunAsync(CommandContext context, CommandArgs args)
    {
        var verb = args.Positionals.FirstOrDefault() ?? throw new UsageException("template needs create, list or remove");
        switch (verb)
        {
            case "create":
                Print(context, [await VmTemplates.CreateAsync(context.Config)]);
                return 0;
            case "list":
                Print(context, VmTemplates.List(context.Config));
                return 0;
            case "remove":
                var keys = args.Bool("all") ? VmTemplates.List(context.Config).Select(t => t.Key).ToList() : args.Positionals.Skip(1).ToList();
                if (keys.Count == 0)
                    throw new UsageException("template remove needs a KEY (sandboxrt template list) or --all");
                foreach (var key in keys)
                    if (!VmTemplates.Remove(context.Config, key))
                        throw new UsageException($"template {key} does not exist in {context.Config.Qemu.TemplateDirectory}");
                return 0;
            default:
                throw new UsageException($"template {verb}: not create, list or remove");
        }
    }

    private static void Print(CommandContext context, IReadOnlyList<VmTemplates.Entry> entries)
    {
        context.Out.WriteLine($"{"KEY",-17}{"VCPUS",-6}{"MEMORY",-8}{"AGENT-SERVING",-14}{"BUILT",-34}DIRECTORY");
        foreach (var t in entries)
            context.Out.WriteLine($"{t.Key,-17}{t.Vcpus,-6}{t.MemoryMib + "M",-8}{t.AgentServingMs + " ms",-14}{t.Built,-34}{t.Directory}");
    }
}
