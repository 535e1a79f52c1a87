using SandboxRt.Cli.Commands;

namespace SandboxRt.Cli.Cli;

/// <summary>Every verb the CLI knows.</summary>
internal static class CommandTable
{
    public static IReadOnlyList<ICommand> All { get; } =
    [
        new CheckCommand(),
        new CreateCommand(),
        new StartCommand(),
        new RunCommand(),
        new StateCommand(),
        new KillCommand(),
        new DeleteCommand(),
        new ExecCommand(),
        new PsCommand(),
        new PauseCommand(pause: true),
        new PauseCommand(pause: false),
        new UpdateCommand(),
        new EventsCommand(),
        new ListCommand(),
        new FeaturesCommand(),
        new SpecCommand(),
        new VersionCommand(),
        new MonitorCommand(),
        new TemplateCommand(),
    ];

    /// <summary>Internal verbs: accepted, not listed in --help.</summary>
    public static IReadOnlyList<ICommand> Hidden { get; } = [new RelayCommand(), new VmCacheEntryCommand()];

    public static ICommand? Find(string name) => All.Concat(Hidden).FirstOrDefault(c => c.Name == name);
}
