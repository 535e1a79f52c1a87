namespace SandboxRt.Cli.Cli;

/// <summary>
/// Parses flags the way runc's (urfave/cli) and Go's flag package accept them: one or two dashes,
/// "--name value" or "--name=value", boolean flags without a value. As in Go, flags end at the first
/// positional argument (or "--"): in `exec ID sh -c ...` the -c belongs to the command, not to exec.
/// </summary>
internal static class ArgumentParser
{
    /// <summary>
    /// Parses <paramref name="args"/> from <paramref name="start"/>. With <paramref name="stopAtPositional"/>,
    /// stops at the first positional argument and reports its index (for global flags before the verb).
    /// </summary>
    public static ParsedArgs Parse(IReadOnlyList<string> args, IReadOnlyList<FlagSpec> flags, int start, bool stopAtPositional, out int next)
    {
        var lookup = new Dictionary<string, FlagSpec>(StringComparer.Ordinal);
        foreach (var flag in flags)
            foreach (var name in flag.AllNames)
                lookup[name] = flag;
        var parsed = new ParsedArgs();
        int i = start;
        for (; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                parsed.Positionals.AddRange(args.Skip(i + 1));
                i = args.Count;
                break;
            }
            if (arg.Length < 2 || arg[0] != '-' || arg == "-")
            {
                if (!stopAtPositional)
                    parsed.Positionals.AddRange(args.Skip(i));
                i = stopAtPositional ? i : args.Count;
                break;
            }
            var body = arg.TrimStart('-');
            string? inline = null;
            int eq = body.IndexOf('=');
            if (eq >= 0)
            {
                inline = body[(eq + 1)..];
                body = body[..eq];
            }
            if (!lookup.TryGetValue(body, out var spec))
            {
                if (stopAtPositional)
                    break; // not a global flag: the verb's parser decides
                throw new UsageException($"flag provided but not defined: -{body}");
            }
            if (!spec.TakesValue)
            {
                parsed.Add(spec.Name, inline ?? "true");
                continue;
            }
            if (inline is null)
            {
                if (i + 1 >= args.Count)
                    throw new UsageException($"flag needs an argument: -{body}");
                inline = args[++i];
            }
            parsed.Add(spec.Name, inline);
        }
        next = i;
        return parsed;
    }
}
