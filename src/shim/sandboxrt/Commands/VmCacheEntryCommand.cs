using System.CommandLine;
using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.VmCache;

namespace SandboxRt.Cli.Commands;

/// <summary>
/// `sandboxrt vm-cache-entry --id ID`: internal. A VM cache entry, spawned by create's top-up with its
/// record already written; not for people to type (see VmCache/CliVmCacheEntry.cs).
/// </summary>
internal sealed class VmCacheEntryCommand : ICommand
{
    public string Name => CliVmCache.CacheEntryVerb;
    public string Usage => "(internal) a VM started before its container (vm_cache_number)";
    public bool FlagsAfterArguments => false;

    public IReadOnlyList<Option> Options { get; } = [CliOptions.Value("id", "the entry's id")];

    public async Task<int> RunAsync(CommandContext context, CommandArgs args)
    {
        var id = args.Value("id") ?? throw new UsageException($"{CliVmCache.CacheEntryVerb} needs --id");
        return await CliVmCacheEntry.RunAsync(context.Lifecycle.Store, id, context.Config, context.Log);
    }
}
