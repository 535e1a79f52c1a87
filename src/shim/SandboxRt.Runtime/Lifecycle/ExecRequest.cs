using SandboxRt.Oci.Spec;

namespace SandboxRt.Runtime.Lifecycle;

/// <summary>runc exec's arguments: either a process.json, or arguments and flags applied to the container's own process.</summary>
public sealed record ExecRequest(string Id)
{
    public string? ProcessFile { get; init; }
    public IReadOnlyList<string> Arguments { get; init; } = [];
    public bool Tty { get; init; }
    public IReadOnlyList<string> Env { get; init; } = [];
    public string? Cwd { get; init; }
    public string? User { get; init; }
    public IReadOnlyList<uint> AdditionalGids { get; init; } = [];
    public IReadOnlyList<string> Capabilities { get; init; } = [];
    public bool NoNewPrivileges { get; init; }
    public bool Detach { get; init; }
    public string? PidFile { get; init; }
    public string? ConsoleSocket { get; init; }

    /// <summary>The process to run: process.json as it is, or the container's process with the flags applied (as runc does).</summary>
    public Process BuildProcess(Spec containerSpec)
    {
        if (ProcessFile is not null)
            return Oci.Validation.SpecLoader.LoadProcess(ProcessFile);
        if (Arguments.Count == 0)
            throw new ArgumentException("exec needs a command (or --process)");
        var template = containerSpec.Process ?? new Process();
        var process = new Process
        {
            Args = [.. Arguments],
            Terminal = Tty,
            Env = [.. template.Env ?? [], .. Env],
            Cwd = Cwd ?? template.Cwd,
            User = ParseUser(User, template.User),
            Capabilities = template.Capabilities,
            NoNewPrivileges = NoNewPrivileges || template.NoNewPrivileges,
            Rlimits = template.Rlimits,
            ApparmorProfile = template.ApparmorProfile,
        };
        if (AdditionalGids.Count > 0)
            process.User.AdditionalGids = [.. AdditionalGids];
        if (Capabilities.Count > 0)
        {
            var caps = process.Capabilities ?? new Capabilities();
            process.Capabilities = new Capabilities
            {
                Bounding = [.. caps.Bounding ?? [], .. Capabilities],
                Effective = [.. caps.Effective ?? [], .. Capabilities],
                Permitted = [.. caps.Permitted ?? [], .. Capabilities],
                Inheritable = caps.Inheritable,
                Ambient = caps.Ambient,
            };
        }
        return process;
    }

    private static User ParseUser(string? text, User template)
    {
        if (text is null)
            return new User { Uid = template.Uid, Gid = template.Gid, AdditionalGids = template.AdditionalGids, Umask = template.Umask };
        var parts = text.Split(':');
        if (!uint.TryParse(parts[0], out var uid) || parts.Length > 2 || (parts.Length == 2 && !uint.TryParse(parts[1], out _)))
            throw new ArgumentException($"--user '{text}' must be UID[:GID] (names are not resolved)");
        return new User { Uid = uid, Gid = parts.Length == 2 ? uint.Parse(parts[1]) : 0 };
    }
}
