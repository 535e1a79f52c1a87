namespace SandboxRt.Runtime.CommandLine;

/// <summary>
/// The command-line rules of Go's flag package, which both of our callers' callers follow: containerd
/// runs the shim as a Go flag program, and runc's urfave/cli parses with Go's flag package too.
/// - `-name` and `--name` are the same flag; a value is `-name=value` or `-name value`.
/// - A boolean flag is `-name` or `-name=v` with v one of strconv.ParseBool's spellings (1, t, T, TRUE,
///   true, True, 0, f, F, FALSE, false, False); it never takes the next argument (`-debug false` is
///   -debug plus the positional "false").
/// - `--` ends the flags and is dropped; `-` is a positional; `---x`, `-=x` are bad flag syntax; an
///   unknown flag is an error naming it; a string flag at the end is "flag needs an argument".
/// - Flags end at the first positional argument. With <c>interspersed</c>, as urfave/cli v1 reorders a
///   runc verb's arguments, a later argument that names one of the flags is still taken as a flag, and
///   one that does not is a positional (runc's exec and ps skip that reordering: `exec ID sh -c x`).
/// </summary>
public static class GoFlagParser
{
    public static ParsedArgs Parse(IReadOnlyList<string> args, IReadOnlyList<FlagSpec> flags, int start = 0, bool interspersed = false)
    {
        var lookup = new Dictionary<string, FlagSpec>(StringComparer.Ordinal);
        foreach (var flag in flags)
            foreach (var name in flag.AllNames)
                lookup[name] = flag;
        var parsed = new ParsedArgs();
        for (int i = start; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                parsed.Positionals.AddRange(args.Skip(i + 1));
                break;
            }
            bool isFlag = arg.Length >= 2 && arg[0] == '-'
                          && (parsed.Positionals.Count == 0 || NameOf(arg) is { } name && lookup.ContainsKey(name));
            if (!isFlag)
            {
                if (!interspersed)
                {
                    parsed.Positionals.AddRange(args.Skip(i));
                    break;
                }
                parsed.Positionals.Add(arg);
                continue;
            }
            i = ParseFlag(args, i, lookup, parsed);
        }
        return parsed;
    }

    /// <summary>strconv.ParseBool: null for anything it would reject.</summary>
    public static bool? ParseBool(string value) => value switch
    {
        "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
        "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
        _ => null,
    };

    /// <summary>Parses the flag at <paramref name="i"/>; returns the index of the last argument it used.</summary>
    private static int ParseFlag(IReadOnlyList<string> args, int i, Dictionary<string, FlagSpec> lookup, ParsedArgs parsed)
    {
        var arg = args[i];
        var name = NameOf(arg) ?? throw new FlagException($"bad flag syntax: {arg}");
        var body = arg.AsSpan(arg[1] == '-' ? 2 : 1);
        int eq = body.IndexOf('=');
        string? value = eq >= 0 ? body[(eq + 1)..].ToString() : null;
        if (!lookup.TryGetValue(name, out var spec))
            throw new FlagException($"flag provided but not defined: -{name}");
        if (!spec.TakesValue)
        {
            bool on = value is null || (ParseBool(value) ?? throw new FlagException($"invalid boolean value \"{value}\" for -{name}: parse error"));
            parsed.Add(spec.Name, on ? "true" : "false");
            return i;
        }
        if (value is null)
        {
            if (i + 1 >= args.Count)
                throw new FlagException($"flag needs an argument: -{name}");
            value = args[++i];
        }
        parsed.Add(spec.Name, value);
        return i;
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
