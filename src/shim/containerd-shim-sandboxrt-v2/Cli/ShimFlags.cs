namespace SandboxRt.Shim.Cli;

/// <summary>
/// The shim's command line as containerd writes it, parsed as Go's flag package would: `-name value`,
/// `-name=value` or `--name`, booleans without a value, flags ending at the first argument (the action:
/// `start`, `delete`, or none for the daemon).
/// </summary>
internal sealed record ShimFlags
{
    public string Namespace { get; init; } = "";
    public string Address { get; init; } = "";
    public string PublishBinary { get; init; } = "";
    public string Id { get; init; } = "";
    public string Bundle { get; init; } = "";
    public string Socket { get; init; } = "";
    /// <summary>The hypervisor config the daemon uses (from runtime options; ours, not containerd's).</summary>
    public string Config { get; init; } = "";
    public bool Debug { get; init; }
    public bool Version { get; init; }
    public bool Info { get; init; }
    public string Action { get; init; } = "";

    private static readonly HashSet<string> Booleans = ["debug", "v", "info"];
    private static readonly HashSet<string> Strings = ["namespace", "address", "publish-binary", "id", "bundle", "socket", "config"];

    public static ShimFlags Parse(IReadOnlyList<string> args)
    {
        var flags = new ShimFlags();
        int i = 0;
        for (; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                i++;
                break;
            }
            if (arg.Length < 2 || arg[0] != '-')
                break;
            var body = arg.TrimStart('-');
            if (arg.StartsWith("---", StringComparison.Ordinal) || body.Length == 0)
                throw new ArgumentException($"bad flag syntax: {arg}");
            string name = body, value = "";
            bool hasValue = false;
            int eq = body.IndexOf('=');
            if (eq >= 0)
            {
                (name, value, hasValue) = (body[..eq], body[(eq + 1)..], true);
            }
            if (Booleans.Contains(name))
            {
                bool on = !hasValue || value is "true" or "1" or "t" or "T" or "TRUE" or "True";
                if (hasValue && !on && value is not ("false" or "0" or "f" or "F" or "FALSE" or "False"))
                    throw new ArgumentException($"invalid boolean value \"{value}\" for -{name}");
                flags = name switch
                {
                    "debug" => flags with { Debug = on },
                    "v" => flags with { Version = on },
                    _ => flags with { Info = on },
                };
                continue;
            }
            if (!Strings.Contains(name))
                throw new ArgumentException($"flag provided but not defined: -{name}");
            if (!hasValue)
            {
                if (++i >= args.Count)
                    throw new ArgumentException($"flag needs an argument: -{name}");
                value = args[i];
            }
            flags = name switch
            {
                "namespace" => flags with { Namespace = value },
                "address" => flags with { Address = value },
                "publish-binary" => flags with { PublishBinary = value },
                "id" => flags with { Id = value },
                "bundle" => flags with { Bundle = value },
                "socket" => flags with { Socket = value },
                _ => flags with { Config = value },
            };
        }
        if (i < args.Count)
            flags = flags with { Action = args[i] };
        if (i + 1 < args.Count)
            throw new ArgumentException($"unexpected arguments after {args[i]}: {string.Join(' ', args.Skip(i + 1))}");
        return flags;
    }

    /// <summary>The daemon's own command line (what `start` runs).</summary>
    public IReadOnlyList<string> ForDaemon(string podId, string socket, string config)
    {
        List<string> args = ["-namespace", Namespace, "-address", Address, "-publish-binary", PublishBinary, "-id", podId, "-socket", socket];
        if (config.Length > 0)
            args.AddRange(["-config", config]);
        if (Debug)
            args.Add("-debug");
        return args;
    }
}
