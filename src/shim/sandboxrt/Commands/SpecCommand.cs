using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using SandboxRt.Cli.Cli;
using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Containers;

namespace SandboxRt.Cli.Commands;

/// <summary>`sandboxrt spec [--bundle DIR]`: write a starter config.json, like runc spec.</summary>
internal sealed class SpecCommand : ICommand
{
    public string Name => "spec";
    public string Usage => "create a new specification file (config.json) in the bundle";
    public IReadOnlyList<Option> Options { get; } =
    [
        CliOptions.Value("bundle", "path to the root of the bundle directory", "b"),
        CliOptions.Switch("rootless", "not supported (rootless containers)"),
    ];

    public Task<int> RunAsync(CommandContext context, CommandArgs args)
    {
        if (args.Bool("rootless"))
            throw new UsageException("--rootless is not supported");
        var bundle = args.Value("bundle") ?? Directory.GetCurrentDirectory();
        var path = Path.Combine(bundle, "config.json");
        if (File.Exists(path))
            throw new InvalidOperationException($"File {path} exists. Remove it first");
        var indented = new JsonSerializerOptions(OciJsonContext.Default.Options) { WriteIndented = true };
        var json = JsonSerializer.Serialize(DefaultSpec.Create(), (JsonTypeInfo<Spec>)indented.GetTypeInfo(typeof(Spec)));
        File.WriteAllText(path, json + "\n");
        return Task.FromResult(0);
    }
}
