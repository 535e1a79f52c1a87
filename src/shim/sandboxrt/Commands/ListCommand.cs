using System.CommandLine;
using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.Lifecycle;

namespace SandboxRt.Cli.Commands;

internal sealed class ListCommand : ICommand
{
    public string Name => "list";
    public string Usage => "list the containers under --root";
    public IReadOnlyList<Option> Options { get; } = [CliOptions.Value("format", "table or json", "f"), CliOptions.Switch("quiet", "ids only", "q")];

    public Task<int> RunAsync(CommandContext context, CommandArgs args)
    {
        var states = QueryOperation.List(context.Lifecycle);
        if (args.Bool("quiet"))
            foreach (var s in states)
                context.Out.WriteLine(s.Id);
        else if (args.Value("format") == "json")
            context.Out.WriteLine(QueryOperation.ToJson(states));
        else
        {
            context.Out.WriteLine($"{"ID",-24} {"PID",-8} {"STATUS",-10} {"BUNDLE",-40} {"CREATED",-30} OWNER");
            foreach (var s in states)
                context.Out.WriteLine($"{s.Id,-24} {s.Pid,-8} {s.Status,-10} {s.Bundle,-40} {s.Created:O} root");
        }
        return Task.FromResult(0);
    }
}
