using SandboxRt.Oci.Spec;

namespace SandboxRt.Oci.Validation;

/// <summary>
/// Checks a config.json before anything is created for it. Every problem names its field
/// ("linux.namespaces[2].type: unknown namespace type 'foo'") and all of them are reported at once.
/// With a root file system path, mount destinations are also resolved inside it to catch symbolic
/// links that point outside.
/// </summary>
public static class SpecValidator
{
    private static readonly HashSet<string> SeccompActions =
        ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"];
    private static readonly HashSet<string> SeccompOps =
        ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"];
    private static readonly HashSet<string> SeccompArchitectures =
        ["SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
         "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
         "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64"];
    private static readonly HashSet<string> Propagations = ["", "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable"];

    public static void Validate(Spec.Spec spec, string? rootfs = null)
    {
        var problems = new List<string>();
        void Problem(string field, string text) => problems.Add($"{field}: {text}");

        if (spec.Root is null || string.IsNullOrEmpty(spec.Root.Path))
            Problem("root.path", "is required");
        if (spec.Process is null)
            Problem("process", "is required");
        else
            ValidateProcess(spec.Process, Problem);

        ValidateMounts(spec, rootfs, Problem);
        if (spec.Hooks is { } hooks)
            ValidateHooks(hooks, Problem);
        if (spec.Linux is { } linux)
            ValidateLinux(linux, spec, Problem);
        if (problems.Count > 0)
            throw new SpecValidationException(problems);
    }

    private static void ValidateProcess(Spec.Process process, Action<string, string> problem)
    {
        if (process.Args is null || process.Args.Count == 0 || string.IsNullOrEmpty(process.Args[0]))
            problem("process.args", "must name the program to run (it is missing or empty)");
        if (!process.Cwd.StartsWith('/'))
            problem("process.cwd", $"'{process.Cwd}' is not an absolute path");
        for (int i = 0; i < (process.Env?.Count ?? 0); i++)
            if (!process.Env![i].Contains('='))
                problem($"process.env[{i}]", $"'{process.Env[i]}' is not KEY=VALUE");
        if (process.Capabilities is { } caps)
        {
            foreach (var (set, names) in new[] { ("bounding", caps.Bounding), ("effective", caps.Effective), ("inheritable", caps.Inheritable), ("permitted", caps.Permitted), ("ambient", caps.Ambient) })
                for (int i = 0; i < (names?.Count ?? 0); i++)
                    if (!CapabilityNames.TryGetNumber(names![i], out _))
                        problem($"process.capabilities.{set}[{i}]", $"unknown capability '{names[i]}'");
        }
        var seen = new HashSet<string>();
        for (int i = 0; i < (process.Rlimits?.Count ?? 0); i++)
        {
            var r = process.Rlimits![i];
            if (!RlimitNames.TryGetNumber(r.Type, out _))
                problem($"process.rlimits[{i}].type", $"unknown resource limit '{r.Type}'");
            else if (!seen.Add(r.Type))
                problem($"process.rlimits[{i}].type", $"'{r.Type}' is given more than once");
            if (r.Soft > r.Hard)
                problem($"process.rlimits[{i}]", $"soft limit {r.Soft} exceeds hard limit {r.Hard}");
        }
        if (process.OomScoreAdj is < -1000 or > 1000)
            problem("process.oomScoreAdj", $"{process.OomScoreAdj} is outside -1000..1000");
        if (process.Terminal && process.ConsoleSize is { Height: 0 } or { Width: 0 })
            problem("process.consoleSize", "height and width must be positive");
    }

    private static void ValidateMounts(Spec.Spec spec, string? rootfs, Action<string, string> problem)
    {
        for (int i = 0; i < (spec.Mounts?.Count ?? 0); i++)
        {
            var m = spec.Mounts![i];
            var field = $"mounts[{i}].destination";
            if (!m.Destination.StartsWith('/'))
                problem(field, $"'{m.Destination}' is not an absolute path");
            else if (m.Destination.Split('/').Contains(".."))
                problem(field, $"'{m.Destination}' contains '..': a mount destination may not climb out of the root file system");
            else if (rootfs is not null && Directory.Exists(rootfs))
            {
                try
                {
                    SecureJoin.Resolve(rootfs, m.Destination);
                }
                catch (PathEscapeException e)
                {
                    problem(field, e.Message);
                }
            }
            if (m.IsBind && string.IsNullOrEmpty(m.Source))
                problem($"mounts[{i}].source", "a bind mount needs a source");
            if (m.UidMappings is { Count: > 0 } || m.GidMappings is { Count: > 0 })
                problem($"mounts[{i}].uidMappings", "id-mapped mounts are not supported");
        }
    }

    private static void ValidateHooks(Hooks hooks, Action<string, string> problem)
    {
        foreach (var (name, list) in new[] { ("prestart", hooks.Prestart), ("createRuntime", hooks.CreateRuntime), ("createContainer", hooks.CreateContainer), ("startContainer", hooks.StartContainer), ("poststart", hooks.Poststart), ("poststop", hooks.Poststop) })
            for (int i = 0; i < (list?.Count ?? 0); i++)
            {
                if (!list![i].Path.StartsWith('/'))
                    problem($"hooks.{name}[{i}].path", $"'{list[i].Path}' is not an absolute path");
                if (list[i].Timeout is <= 0)
                    problem($"hooks.{name}[{i}].timeout", "must be positive");
            }
    }

    private static void ValidateLinux(Spec.Linux linux, Spec.Spec spec, Action<string, string> problem)
    {
        var types = new HashSet<string>();
        for (int i = 0; i < (linux.Namespaces?.Count ?? 0); i++)
        {
            var ns = linux.Namespaces![i];
            var field = $"linux.namespaces[{i}].type";
            if (!NamespaceTypes.IsKnown(ns.Type))
                problem(field, $"unknown namespace type '{ns.Type}' (known: {string.Join(", ", NamespaceTypes.JoinOrder)})");
            else if (!types.Add(ns.Type))
                problem(field, $"namespace '{ns.Type}' is listed twice");
            else if (ns.Type == NamespaceTypes.User)
                problem(field, "user namespaces are not supported (the container runs in its own VM instead)");
            else if (ns.Type == NamespaceTypes.Time)
                problem(field, "time namespaces are not supported");
            if (ns.Path is { Length: > 0 } path && !path.StartsWith('/'))
                problem($"linux.namespaces[{i}].path", $"'{path}' is not an absolute path");
        }
        if (linux.UidMappings is { Count: > 0 } || linux.GidMappings is { Count: > 0 })
            problem("linux.uidMappings", "user namespace id mappings are not supported");
        if (linux.RootfsPropagation is { } propagation && !Propagations.Contains(propagation))
            problem("linux.rootfsPropagation", $"unknown propagation '{propagation}'");
        foreach (var (name, list) in new[] { ("maskedPaths", linux.MaskedPaths), ("readonlyPaths", linux.ReadonlyPaths) })
            for (int i = 0; i < (list?.Count ?? 0); i++)
                if (!list![i].StartsWith('/') || list[i].Split('/').Contains(".."))
                    problem($"linux.{name}[{i}]", $"'{list[i]}' must be an absolute path without '..'");
        for (int i = 0; i < (linux.Devices?.Count ?? 0); i++)
        {
            var d = linux.Devices![i];
            if (d.Type is not ("c" or "b" or "u" or "p"))
                problem($"linux.devices[{i}].type", $"unknown device type '{d.Type}' (c, b, u or p)");
            if (!d.Path.StartsWith("/dev/", StringComparison.Ordinal) || d.Path.Split('/').Contains(".."))
                problem($"linux.devices[{i}].path", $"'{d.Path}' must be under /dev without '..'");
        }
        if (linux.Sysctl is { } sysctl)
        {
            bool ownNetwork = linux.Namespaces?.Any(n => n.Type == NamespaceTypes.Network) ?? false;
            bool ownIpc = linux.Namespaces?.Any(n => n.Type == NamespaceTypes.Ipc) ?? false;
            bool ownUts = linux.Namespaces?.Any(n => n.Type == NamespaceTypes.Uts) ?? false;
            foreach (var key in sysctl.Keys)
            {
                bool ok = key.StartsWith("net.", StringComparison.Ordinal) ? ownNetwork
                    : key is "kernel.msgmax" or "kernel.msgmnb" or "kernel.msgmni" or "kernel.sem" or "kernel.shmall" or "kernel.shmmax" or "kernel.shmmni" or "kernel.shm_rmid_forced" || key.StartsWith("fs.mqueue.", StringComparison.Ordinal) ? ownIpc
                    : key is "kernel.hostname" or "kernel.domainname" ? ownUts
                    : false;
                if (!ok)
                    problem($"linux.sysctl.{key}", "is not namespaced, or the container does not have its own namespace for it");
                if (key.Contains("..") || key.Contains('/'))
                    problem($"linux.sysctl.{key}", "is not a valid sysctl name");
            }
        }
        if (linux.Resources?.Devices is { } rules)
            for (int i = 0; i < rules.Count; i++)
            {
                if (rules[i].Type is not (null or "a" or "b" or "c"))
                    problem($"linux.resources.devices[{i}].type", $"'{rules[i].Type}' is not a, b or c");
                if (rules[i].Access is { } access && access.Any(c => c is not ('r' or 'w' or 'm')))
                    problem($"linux.resources.devices[{i}].access", $"'{access}' may only contain r, w and m");
            }
        if (linux.Resources?.Pids is { Limit: 0 })
            problem("linux.resources.pids.limit", "0 is not a limit (use -1 or omit it for no limit)");
        if (linux.Seccomp is { } seccomp)
            ValidateSeccomp(seccomp, problem);
        if ((spec.Hostname is { Length: > 0 } || spec.Domainname is { Length: > 0 }) && !types.Contains(NamespaceTypes.Uts) && linux.Namespaces is not null)
            problem("hostname", "setting a hostname needs a uts namespace in linux.namespaces");
    }

    private static void ValidateSeccomp(LinuxSeccomp seccomp, Action<string, string> problem)
    {
        if (!SeccompActions.Contains(seccomp.DefaultAction))
            problem("linux.seccomp.defaultAction", $"unknown action '{seccomp.DefaultAction}'");
        for (int i = 0; i < (seccomp.Architectures?.Count ?? 0); i++)
            if (!SeccompArchitectures.Contains(seccomp.Architectures![i]))
                problem($"linux.seccomp.architectures[{i}]", $"unknown architecture '{seccomp.Architectures[i]}'");
        for (int i = 0; i < (seccomp.Syscalls?.Count ?? 0); i++)
        {
            var rule = seccomp.Syscalls![i];
            if (!SeccompActions.Contains(rule.Action))
                problem($"linux.seccomp.syscalls[{i}].action", $"unknown action '{rule.Action}'");
            if (rule.Action == "SCMP_ACT_NOTIFY")
                problem($"linux.seccomp.syscalls[{i}].action", "SCMP_ACT_NOTIFY (seccomp user notification) is not supported");
            if (rule.Names.Count == 0)
                problem($"linux.seccomp.syscalls[{i}].names", "is empty");
            for (int j = 0; j < (rule.Args?.Count ?? 0); j++)
            {
                if (!SeccompOps.Contains(rule.Args![j].Op))
                    problem($"linux.seccomp.syscalls[{i}].args[{j}].op", $"unknown operator '{rule.Args[j].Op}'");
                if (rule.Args[j].Index > 5)
                    problem($"linux.seccomp.syscalls[{i}].args[{j}].index", $"{rule.Args[j].Index} is not an argument index (0-5)");
            }
        }
    }
}
