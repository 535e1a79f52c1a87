using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace SandboxRt.Cli.Cli;

/// <summary>
/// The sandboxrt command line: System.CommandLine's model of the verbs and their flags (help and
/// completions come from it), read with runc's rules. `sandboxrt [global flags] VERB [flags] [args]`:
/// <see cref="GoFlagRules"/> finds the global flags up to the verb and the verb's flags (interspersed
/// for runc's verbs, up to the first argument for exec, ps and relay), and System.CommandLine parses the
/// canonical line `--global=v VERB --flag=v -- ARG...`, in which nothing is left to guess.
/// </summary>
internal static class CliParser
{
    private static readonly Lazy<Model> Root = new(Build);

    private sealed record Model(RootCommand Command, HelpOption Help, Dictionary<string, (ICommand Verb, Command Command, Argument<string[]> Arguments)> Verbs);

    /// <summary>The root command (for help and completions).</summary>
    public static RootCommand Command => Root.Value.Command;

    /// <summary>System.CommandLine's parser settings: no `@file` expansion (an exec argument may start with @), no `-abc` bundles (Go has none).</summary>
    public static ParserConfiguration Configuration { get; } = new() { EnablePosixBundling = false, ResponseFileTokenReplacer = null };

    /// <summary>Reads the line; throws <see cref="UsageException"/> for an error in the global flags.</summary>
    public static CliLine Parse(IReadOnlyList<string> args)
    {
        var model = Root.Value;
        var globals = GoFlagRules.Read(args, 0, model.Command.Options, GoFlagRules.Mode.StopAtFirstPositional);
        var rootResult = Check(model.Command.Parse(globals.Flags, Configuration));
        var global = GlobalOptions.From(new CommandArgs(rootResult, model.Command, []));
        var line = new CliLine(global, rootResult.GetResult(model.Help) is not null, rootResult.GetValue(GlobalOptions.Version), globals.Positionals.FirstOrDefault());
        if (line.Verb is null || !model.Verbs.TryGetValue(line.Verb, out var verb))
            return line;
        line = line with { Command = verb.Verb };
        try
        {
            var mode = verb.Verb.FlagsAfterArguments ? GoFlagRules.Mode.Interspersed : GoFlagRules.Mode.StopAtFirstPositional;
            var own = GoFlagRules.Read(args, args.Count - globals.Positionals.Count + 1, verb.Command.Options.Append(model.Help), mode);
            var result = Check(model.Command.Parse([.. globals.Flags, line.Verb, .. own.Flags, "--", .. own.Positionals], Configuration));
            var positionals = result.GetValue(verb.Arguments) ?? [];
            return line with { Arguments = new CommandArgs(result, verb.Command, positionals), VerbHelp = own.Flags.Contains(model.Help.Name) };
        }
        catch (UsageException e)
        {
            return line with { Error = e };
        }
    }

    /// <summary>`sandboxrt [suggest:N] "LINE"`: System.CommandLine's completion directive, for shells.</summary>
    public static bool IsDirective(IReadOnlyList<string> args) => args.Count > 0 && args[0].StartsWith("[suggest", StringComparison.Ordinal);

    public static int Complete(IReadOnlyList<string> args, TextWriter? output = null) =>
        Command.Parse(CompletionArguments(args), Configuration)
            .Invoke(new InvocationConfiguration { Output = output ?? Console.Out, ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });

    /// <summary>The directive's line without the repeatable flags before the cursor (<see cref="CompletionLine"/>).</summary>
    internal static IReadOnlyList<string> CompletionArguments(IReadOnlyList<string> args)
    {
        var options = Command.Options.Concat(Root.Value.Verbs.Values.SelectMany(v => v.Command.Options)).ToList();
        HashSet<string> Names(Func<Option, bool> which) =>
            options.Where(which).SelectMany(o => o.Aliases.Append(o.Name)).Select(n => n.TrimStart('-')).ToHashSet(StringComparer.Ordinal);
        return CompletionLine.WithoutRepeatedFlags(args, Names(GoFlagRules.IsRepeatable), Names(o => !GoFlagRules.IsSwitch(o)));
    }

    /// <summary>Writes the help of the verb (or of sandboxrt itself): System.CommandLine's help action.</summary>
    public static void WriteHelp(TextWriter output, string? verb = null) =>
        Command.Parse(verb is null ? ["--help"] : [verb, "--help"], Configuration)
            .Invoke(new InvocationConfiguration { Output = output, ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });

    private static ParseResult Check(ParseResult result) =>
        result.Errors.Count == 0 ? result : throw new UsageException(result.Errors[0].Message);

    private static Model Build()
    {
        var help = new HelpOption("--help", "-h") { Recursive = true };
        var root = new RootCommand("sandboxrt: a runc-compatible runtime that runs every container in its own virtual machine");
        root.Options.Clear();
        foreach (var option in GlobalOptions.Options)
            root.Options.Add(option);
        root.Options.Add(help);
        root.SetAction(_ => 0);
        var verbs = new Dictionary<string, (ICommand, Command, Argument<string[]>)>(StringComparer.Ordinal);
        foreach (var (verb, hidden) in CommandTable.All.Select(c => (c, false)).Concat(CommandTable.Hidden.Select(c => (c, true))))
        {
            var command = new Command(verb.Name, verb.Usage) { Hidden = hidden };
            foreach (var option in verb.Options)
                command.Options.Add(option);
            var arguments = new Argument<string[]>("arguments")
            {
                Arity = ArgumentArity.ZeroOrMore,
                HelpName = verb.ArgumentsHelp,
                Hidden = verb.ArgumentsHelp.Length == 0,
            };
            command.Arguments.Add(arguments);
            command.SetAction(_ => 0);
            root.Subcommands.Add(command);
            verbs[verb.Name] = (verb, command, arguments);
        }
        return new Model(root, help, verbs);
    }
}
