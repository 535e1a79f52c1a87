using System.CommandLine;
using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.Lifecycle;

namespace SandboxRt.Cli.Commands;

internal sealed class EventsCommand : ICommand
{
    public string Name => "events";
    public string Usage => "print container events (stats every --interval, OOM kills) as JSON lines";
    public string ArgumentsHelp => "CONTAINER-ID";
    public IReadOnlyList<Option> Options { get; } = [CliOptions.Switch("stats", "print one stats event and exit"), CliOptions.Value("interval", "time between stats events (e.g. 5s, 500ms)")];

    public async Task<int> RunAsync(CommandContext context, CommandArgs args)
    {
        var interval = ParseDuration(args.Value("interval") ?? "5s");
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        await EventsOperation.RunAsync(context.Lifecycle, StartCommand.OneId(args, Name), args.Bool("stats"), interval, context.Out, stop.Token);
        return 0;
    }

    /// <summary>Go-style durations as runc takes them: 500ms, 5s, 1m.</summary>
    internal static TimeSpan ParseDuration(string text)
    {
        foreach (var (suffix, unit) in new[] { ("ms", 1.0), ("s", 1000.0), ("m", 60000.0), ("h", 3600000.0) })
            if (text.EndsWith(suffix, StringComparison.Ordinal) && double.TryParse(text[..^suffix.Length], out var n) && n > 0)
                return TimeSpan.FromMilliseconds(n * unit);
        throw new UsageException($"--interval: '{text}' is not a duration like 5s or 500ms");
    }
}
