using System.CommandLine;

// Shared by sandboxrt and the shim: one parser for both (Go's flag rules over System.CommandLine).
namespace SandboxRt.Runtime.CommandLine;

/// <summary>
/// How the CLI declares its flags to System.CommandLine. Any string flag may be given more than once,
/// as with Go's flag package: the last value counts, except for the repeatable ones (--env, --cap,
/// --config-option), which keep them all (<see cref="GoFlagRules"/> writes the line that way).
/// One-letter aliases are runc's (`-b`, `-t`, `-e`); <see cref="GoFlagRules"/> also accepts one dash
/// before a long name and two before a letter, as Go does.
/// </summary>
public static class CliOptions
{
    /// <summary>A string flag (`--name value` or `--name=value`); given twice, the last value counts (Go).</summary>
    public static Option<string> Value(string name, string help, params string[] letters) =>
        new($"--{name}", [.. letters.Select(l => $"-{l}")]) { Description = help, HelpName = "value" };

    /// <summary>A string flag that keeps every value (`--env A --env B`).</summary>
    public static Option<string[]> Repeated(string name, string help, params string[] letters) =>
        new($"--{name}", [.. letters.Select(l => $"-{l}")])
        {
            Description = help,
            HelpName = "value",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };

    /// <summary>A boolean flag (`--name`, or `--name=false`).</summary>
    public static Option<bool> Switch(string name, string help, params string[] letters) =>
        new($"--{name}", [.. letters.Select(l => $"-{l}")]) { Description = help };
}
