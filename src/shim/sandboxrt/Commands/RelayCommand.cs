using System.CommandLine;
using Microsoft.Extensions.Logging;
using SandboxRt.Cli.Cli;
using SandboxRt.Interop;
using SandboxRt.Runtime.Relay;

namespace SandboxRt.Cli.Commands;

/// <summary>
/// `sandboxrt relay --id ID ... init|exec`: internal. Started by create and exec --detach with a status pipe on
/// fd 3; not for people to type (see Relay/InitRelay.cs).
/// </summary>
internal sealed class RelayCommand : ICommand
{
    public string Name => "relay";
    public string Usage => "(internal) the host process that stands for a container's process";
    public string ArgumentsHelp => "init|exec";
    /// <summary>False: internal: the relay's command line is written by RelayLauncher, flags first.</summary>
    public bool FlagsAfterArguments => false;

    public IReadOnlyList<Option> Options { get; } =
    [
        CliOptions.Value("id", "container id"), CliOptions.Value("bundle", "bundle"), CliOptions.Value("console-socket", "console socket"),
        CliOptions.Switch("own-network", "the relay runs in a network namespace made for the container (create made it)"),
        CliOptions.Value("join", "the container whose sandbox this one joins (its network namespace is that container's)"),
        CliOptions.Value("exec-id", "exec id"), CliOptions.Value("process", "process.json"),
    ];

    public async Task<int> RunAsync(CommandContext context, CommandArgs args)
    {
        var status = SafeFdHandle.FromInherited(RelayStatusPipe.RelayFd);
        Descriptors.SetInheritable(status, false);
        var id = args.Value("id") ?? throw new UsageException("relay needs --id");
        // a relay idles for the container's life: what its start made the GC commit goes back once it is quiet
        using var trim = new IdleHeapTrim();
        var running = args.Positionals.FirstOrDefault() switch
        {
            "init" => InitRelay.RunAsync(new InitRelayOptions(context.Global.Root, id, args.Value("bundle")!, context.Config, args.Value("console-socket")) { OwnNetwork = args.Bool("own-network"), JoinSandbox = args.Value("join") }, status, context.Log),
            "exec" => ExecRelay.RunAsync(new ExecRelayOptions(context.Global.Root, id, args.Value("exec-id")!, args.Value("process")!, args.Value("console-socket")), status, context.Log),
            _ => throw new UsageException("relay [flags] init|exec"),
        };
        // Still on the main thread, which only waits from here on: what joins its mount namespace
        // (podman cp) finds an empty read-only root, not the host's (RelayMountView).
        if (!running.IsCompleted)
            HideHostFromJoiners(context.Log);
        return await running;
    }

    private static void HideHostFromJoiners(ILogger log)
    {
        try
        {
            RelayMountView.HideHostFromJoiners();
        }
        catch (SyscallException e)
        {
            log.LogWarning("the relay's mount namespace stays the host's ({Error}): a tool that enters it, such as podman cp of the running container, reaches the host's files", e.Message);
        }
    }
}
