using System.CommandLine;
using System.CommandLine.Help;

// Shared by sandboxrt and the shim: one parser for both (Go's flag rules over System.CommandLine).
namespace SandboxRt.Runtime.CommandLine;

/// <summary>
/// Go's flag rules (what runc's urfave/cli and containerd's shims follow), applied to one level of a
/// command line whose flags System.CommandLine declares. It does not parse values: it decides which
/// arguments are flags and rewrites them into the one form System.CommandLine reads without guessing,
/// so that Docker's, containerd's and podman's command lines mean what they meant to runc:
/// - `-name`, `--name`, `-n` and `--n` are the same flag; a value is `-name=value` or `-name value`;
///   each flag is written back as `--name=value` (a value that starts with a dash stays a value).
/// - A boolean flag never takes the next argument (`--debug false` is --debug plus the positional
///   "false"); `=v` takes strconv.ParseBool's spellings only (1, t, T, TRUE, true, True and the false
///   ones). System.CommandLine alone would take a following "false" as the value and make `-f=1` or
///   `-f=maybe` a positional.
/// - `--` ends the flags and is dropped; `-` is a positional; `---x` and `-=x` are bad flag syntax; an
///   unknown flag and a value flag at the end are errors in Go's words, naming the flag as written.
/// - Flags end at the first positional. <see cref="Mode.Interspersed"/> is urfave/cli v1's reordering
///   of a runc verb (`delete ID --force`): a later argument that names a flag is still one, any other
///   stays a positional. Without it (global flags, `exec`, `ps`) everything from the first positional
///   on is left alone, including what looks like a flag (`exec ID sh -c x`, `exec ID ls --tty=1`).
/// The positionals are returned apart; <see cref="CliParser"/> hands them to System.CommandLine after
/// `--`, so that it never reads them as flags either.
/// </summary>
public static class GoFlagRules
{
    public enum Mode
    {
        /// <summary>Flags end at the first positional, which is returned with everything after it.</summary>
        StopAtFirstPositional,

        /// <summary>A known flag after a positional is still a flag (urfave/cli v1's runc verbs).</summary>
        Interspersed,
    }

    /// <summary>The flags in canonical form (`--name=value`, each once unless repeatable) and the positionals, in order.</summary>
    public sealed record Result(IReadOnlyList<string> Flags, IReadOnlyList<string> Positionals);

    public static Result Read(IReadOnlyList<string> args, int start, IEnumerable<Option> options, Mode mode)
    {
        var lookup = new Dictionary<string, Option>(StringComparer.Ordinal);
        foreach (var option in options)
            foreach (var name in option.Aliases.Prepend(option.Name))
                lookup[name.TrimStart('-')] = option;
        var flags = new List<(Option Option, string? Value)>();
        var positionals = new List<string>();
        for (int i = start; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                positionals.AddRange(args.Skip(i + 1));
                break;
            }
            bool isFlag = arg.Length >= 2 && arg[0] == '-'
                          && (positionals.Count == 0 || mode == Mode.Interspersed && NameOf(arg) is { } known && lookup.ContainsKey(known));
            if (!isFlag)
            {
                if (mode == Mode.StopAtFirstPositional)
                {
                    positionals.AddRange(args.Skip(i));
                    break;
                }
                positionals.Add(arg);
                continue;
            }
            i = ReadFlag(args, i, lookup, flags);
        }
        return new Result(Canonical(flags), positionals);
    }

    /// <summary>strconv.ParseBool: null for anything it would reject.</summary>
    public static bool? ParseBool(string value) => value switch
    {
        "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
        "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
        _ => null,
    };

    /// <summary>Whether the option is a boolean flag (no separate value) rather than a string flag.</summary>
    public static bool IsSwitch(Option option) => option.ValueType == typeof(bool) || option.Arity.MaximumNumberOfValues == 0;

    /// <summary>Whether the flag keeps every value (`--env A --env B`) rather than the last one, as Go's flag package does.</summary>
    public static bool IsRepeatable(Option option) => option.ValueType == typeof(string[]);

    /// <summary>Reads the flag at <paramref name="i"/> into <paramref name="flags"/>; returns the index of the last argument it used.</summary>
    private static int ReadFlag(IReadOnlyList<string> args, int i, Dictionary<string, Option> lookup, List<(Option Option, string? Value)> flags)
    {
        var arg = args[i];
        var name = NameOf(arg) ?? throw new UsageException($"bad flag syntax: {arg}");
        var body = arg.AsSpan(arg[1] == '-' ? 2 : 1);
        int eq = body.IndexOf('=');
        string? value = eq >= 0 ? body[(eq + 1)..].ToString() : null;
        if (!lookup.TryGetValue(name, out var option))
            throw new UsageException($"flag provided but not defined: -{name}");
        if (IsSwitch(option))
        {
            bool on = value is null || (ParseBool(value) ?? throw new UsageException($"invalid boolean value \"{value}\" for -{name}: parse error"));
            value = on ? "true" : "false";
        }
        else if (value is null)
        {
            if (i + 1 >= args.Count)
                throw new UsageException($"flag needs an argument: -{name}");
            value = args[++i];
        }
        if (!IsRepeatable(option))
            flags.RemoveAll(f => f.Option == option); // Go: the last one wins
        flags.Add((option, value));
        return i;
    }

    /// <summary>The flags as System.CommandLine reads them without guessing: `--name=value`; --help alone when on.</summary>
    private static List<string> Canonical(List<(Option Option, string? Value)> flags)
    {
        var canonical = new List<string>();
        foreach (var (option, value) in flags)
        {
            if (option is HelpOption)
            {
                if (value == "true")
                    canonical.Add(option.Name);
            }
            else if (value!.Length == 0)
                canonical.AddRange([option.Name, value]); // `--name=` loses its empty value in System.CommandLine's split
            else
                canonical.Add($"{option.Name}={value}");
        }
        return canonical;
    }

    /// <summary>The flag's name without dashes and value, or null for Go's "bad flag syntax".</summary>
    private static string? NameOf(string arg)
    {
        var body = arg.AsSpan(arg[1] == '-' ? 2 : 1);
        if (body.Length == 0 || body[0] is '-' or '=')
            return null;
        int eq = body.IndexOf('=');
        return (eq >= 0 ? body[..eq] : body).ToString();
    }
}
