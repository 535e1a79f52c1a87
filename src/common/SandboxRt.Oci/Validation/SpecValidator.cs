using SandboxRt.Oci.Spec;

namespace SandboxRt.Oci.Validation;

/// <summary>
/// Checks a config.json before anything is created for it. Every problem names its field
/// ("linux.namespaces[2].type: unknown namespace type") and all of them are reported at once. Problems
/// never quote the value: config.json may be a symlink to a file the caller could not read, and its
/// content must not come back in an error (the field name and index say which value it was).
/// With a root file system path, mount destinations are also resolved inside it to catch symbolic
/// links that point outside.
/// The shape (types, nulls, NUL bytes) was checked when the document was read (SpecLoader); this
/// checks meaning, following runc's checks (libcontainer/configs/validate, specconv) where they apply.
/// </summary>
public static class SpecValidator
{
    /// <summary>PATH_MAX: no path longer than this can be opened or mounted.</summary>
    private const int MaxPathBytes = 4096;

    private static readonly HashSet<string> SeccompActions =
        ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"];
    private static readonly HashSet<string> SeccompOps =
        ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"];
    private static readonly HashSet<string> SeccompArchitectures =
        ["SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
         "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
         "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64"];
    private static readonly HashSet<string> Propagations = ["", "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable"];
    private static readonly HashSet<string> PersonalityDomains = ["LINUX", "LINUX32"];

    /// <summary>sysctls namespaced by the ipc namespace (runc's validSysctlMap, plus fs.mqueue.*).</summary>
    private static readonly HashSet<string> IpcSysctls =
        ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"];

    public static void Validate(Spec.Spec spec, string? rootfs = null)
    {
        var problems = new List<string>();
        void Problem(string field, string text) => problems.Add($"{field}: {text}");

        if (spec.Root is null || string.IsNullOrEmpty(spec.Root.Path))
            Problem("root.path", "is required");
        else
            CheckPath(spec.Root.Path, "root.path", absolute: false, Problem);
        if (spec.Process is null)
            Problem("process", "is required");
        else
            ValidateProcess(spec.Process, Problem);

        // sethostname(2)/setdomainname(2) refuse more than HOST_NAME_MAX (64) bytes
        if (spec.Hostname is { } hostname && Bytes(hostname) > 64)
            Problem("hostname", "is longer than 64 bytes");
        if (spec.Domainname is { } domainname && Bytes(domainname) > 64)
            Problem("domainname", "is longer than 64 bytes");
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
        CheckPath(process.Cwd, "process.cwd", absolute: true, problem);
        for (int i = 0; i < (process.Env?.Count ?? 0); i++)
            if (process.Env![i].IndexOf('=') <= 0)
                problem($"process.env[{i}]", "is not NAME=VALUE with a non-empty NAME");
        if (process.Capabilities is { } caps)
        {
            foreach (var (set, names) in new[] { ("bounding", caps.Bounding), ("effective", caps.Effective), ("inheritable", caps.Inheritable), ("permitted", caps.Permitted), ("ambient", caps.Ambient) })
                for (int i = 0; i < (names?.Count ?? 0); i++)
                    if (!CapabilityNames.TryGetNumber(names![i], out _))
                        problem($"process.capabilities.{set}[{i}]", "unknown capability");
        }
        var seen = new HashSet<string>();
        for (int i = 0; i < (process.Rlimits?.Count ?? 0); i++)
        {
            var r = process.Rlimits![i];
            if (!RlimitNames.TryGetNumber(r.Type, out _))
                problem($"process.rlimits[{i}].type", "unknown resource limit");
            else if (!seen.Add(r.Type))
                problem($"process.rlimits[{i}].type", "the same limit is given more than once");
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
            if (CheckPath(m.Destination, field, absolute: true, problem))
            {
                if (m.Destination.Split('/').Contains(".."))
                    problem(field, "contains '..': a mount destination may not climb out of the root file system");
                else if (rootfs is not null && Directory.Exists(rootfs))
                {
                    try
                    {
                        SecureJoin.Resolve(rootfs, m.Destination);
                    }
                    catch (PathEscapeException e)
                    {
                        problem(field, e.Reason);
                    }
                }
            }
            if (m.IsBind && string.IsNullOrEmpty(m.Source))
                problem($"mounts[{i}].source", "a bind mount needs a source");
            else if (m.Source is { } source && Bytes(source) > MaxPathBytes)
                problem($"mounts[{i}].source", $"is longer than {MaxPathBytes} bytes");
            if (m.UidMappings is { Count: > 0 } || m.GidMappings is { Count: > 0 })
                problem($"mounts[{i}].uidMappings", "id-mapped mounts are not supported");
        }
    }

    private static void ValidateHooks(Hooks hooks, Action<string, string> problem)
    {
        foreach (var (name, list) in new[] { ("prestart", hooks.Prestart), ("createRuntime", hooks.CreateRuntime), ("createContainer", hooks.CreateContainer), ("startContainer", hooks.StartContainer), ("poststart", hooks.Poststart), ("poststop", hooks.Poststop) })
            for (int i = 0; i < (list?.Count ?? 0); i++)
            {
                CheckPath(list![i].Path, $"hooks.{name}[{i}].path", absolute: true, problem);
                if (list[i].Timeout is <= 0)
                    problem($"hooks.{name}[{i}].timeout", "must be positive");
                for (int j = 0; j < (list[i].Env?.Count ?? 0); j++)
                    if (list[i].Env![j].IndexOf('=') <= 0)
                        problem($"hooks.{name}[{i}].env[{j}]", "is not NAME=VALUE with a non-empty NAME");
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
                problem(field, $"unknown namespace type (known: {string.Join(", ", NamespaceTypes.JoinOrder)})");
            else if (!types.Add(ns.Type))
                problem(field, "the same namespace type is listed twice");
            else if (ns.Type == NamespaceTypes.User)
                problem(field, "user namespaces are not supported (the container runs in its own VM instead)");
            else if (ns.Type == NamespaceTypes.Time)
                problem(field, "time namespaces are not supported");
            if (ns.Path is { Length: > 0 } path)
                CheckPath(path, $"linux.namespaces[{i}].path", absolute: true, problem);
        }
        if (linux.UidMappings is { Count: > 0 } || linux.GidMappings is { Count: > 0 })
            problem("linux.uidMappings", "user namespace id mappings are not supported");
        if (linux.RootfsPropagation is { } propagation && !Propagations.Contains(propagation))
            problem("linux.rootfsPropagation", $"unknown propagation (one of {string.Join(", ", Propagations.Skip(1))})");
        foreach (var (name, list) in new[] { ("maskedPaths", linux.MaskedPaths), ("readonlyPaths", linux.ReadonlyPaths) })
        {
            for (int i = 0; i < (list?.Count ?? 0); i++)
                if (CheckPath(list![i], $"linux.{name}[{i}]", absolute: true, problem) && list[i].Split('/').Contains(".."))
                    problem($"linux.{name}[{i}]", "must be an absolute path without '..'");
            if (list is { Count: > 0 } && linux.Namespaces is not null && !types.Contains(NamespaceTypes.Mount))
                problem($"linux.{name}", "needs a mount namespace in linux.namespaces (runc: unable to restrict sys entries without a private MNT namespace)");
        }
        for (int i = 0; i < (linux.Devices?.Count ?? 0); i++)
        {
            var d = linux.Devices![i];
            if (d.Type is not ("c" or "b" or "u" or "p"))
                problem($"linux.devices[{i}].type", "unknown device type (c, b, u or p)");
            if (!d.Path.StartsWith("/dev/", StringComparison.Ordinal) || d.Path.Split('/').Contains("..") || Bytes(d.Path) > MaxPathBytes)
                problem($"linux.devices[{i}].path", "must be a path under /dev without '..'");
        }
        if (linux.Sysctl is { } sysctl)
            ValidateSysctls(sysctl, types, problem);
        if (linux.Resources?.Devices is { } rules)
            for (int i = 0; i < rules.Count; i++)
            {
                if (rules[i].Type is not (null or "a" or "b" or "c"))
                    problem($"linux.resources.devices[{i}].type", "must be a, b or c");
                if (string.IsNullOrEmpty(rules[i].Access))
                    problem($"linux.resources.devices[{i}].access", "is required (runc: device access field cannot be empty)");
                else if (rules[i].Access!.Any(c => c is not ('r' or 'w' or 'm')))
                    problem($"linux.resources.devices[{i}].access", "may only contain r, w and m");
            }
        foreach (var (name, list) in new[] { ("cpus", linux.Resources?.Cpu?.Cpus), ("mems", linux.Resources?.Cpu?.Mems) })
            if (list is { Length: > 0 } && CpuList.TryParse(list, out var error) is null)
                problem($"linux.resources.cpu.{name}", error!);
        if (linux.Resources?.Pids is { Limit: 0 })
            problem("linux.resources.pids.limit", "0 is not a limit (use -1 or omit it for no limit)");
        if (linux.Seccomp is { } seccomp)
            ValidateSeccomp(seccomp, problem);
        if (linux.Personality is { } personality && !PersonalityDomains.Contains(personality.Domain))
            problem("linux.personality.domain", "must be LINUX or LINUX32");
        if ((spec.Hostname is { Length: > 0 } || spec.Domainname is { Length: > 0 }) && !types.Contains(NamespaceTypes.Uts) && linux.Namespaces is not null)
            problem("hostname", "setting a hostname needs a uts namespace in linux.namespaces");
    }

    private static void ValidateSysctls(Dictionary<string, string> sysctl, HashSet<string> namespaces, Action<string, string> problem)
    {
        int index = 0;
        foreach (var key in sysctl.Keys)
        {
            var field = "linux.sysctl." + SpecField.Key(key, index++);
            if (key.Split('.').Any(p => p.Length == 0 || p == "..") || key.Contains('/'))
            {
                problem(field, "is not a valid sysctl name");
                continue;
            }
            if (key == "kernel.hostname")
            {
                problem(field, "conflicts with the hostname field (set that instead, as runc requires)");
                continue;
            }
            bool ok = key.StartsWith("net.", StringComparison.Ordinal) ? namespaces.Contains(NamespaceTypes.Network)
                : IpcSysctls.Contains(key) || key.StartsWith("fs.mqueue.", StringComparison.Ordinal) ? namespaces.Contains(NamespaceTypes.Ipc)
                : key == "kernel.domainname" && namespaces.Contains(NamespaceTypes.Uts);
            if (!ok)
                problem(field, "is not namespaced, or the container does not have its own namespace for it");
        }
    }

    private static void ValidateSeccomp(LinuxSeccomp seccomp, Action<string, string> problem)
    {
        if (!SeccompActions.Contains(seccomp.DefaultAction))
            problem("linux.seccomp.defaultAction", "unknown action");
        for (int i = 0; i < (seccomp.Architectures?.Count ?? 0); i++)
            if (!SeccompArchitectures.Contains(seccomp.Architectures![i]))
                problem($"linux.seccomp.architectures[{i}]", "unknown architecture");
        for (int i = 0; i < (seccomp.Syscalls?.Count ?? 0); i++)
        {
            var rule = seccomp.Syscalls![i];
            if (!SeccompActions.Contains(rule.Action))
                problem($"linux.seccomp.syscalls[{i}].action", "unknown action");
            if (rule.Action == "SCMP_ACT_NOTIFY")
                problem($"linux.seccomp.syscalls[{i}].action", "SCMP_ACT_NOTIFY (seccomp user notification) is not supported");
            if (rule.Names.Count == 0)
                problem($"linux.seccomp.syscalls[{i}].names", "is empty");
            for (int j = 0; j < (rule.Args?.Count ?? 0); j++)
            {
                if (!SeccompOps.Contains(rule.Args![j].Op))
                    problem($"linux.seccomp.syscalls[{i}].args[{j}].op", "unknown operator");
                if (rule.Args[j].Index > 5)
                    problem($"linux.seccomp.syscalls[{i}].args[{j}].index", $"{rule.Args[j].Index} is not an argument index (0-5)");
            }
        }
    }

    /// <summary>A path field: absolute when required, at most PATH_MAX. False (with a problem) when not.</summary>
    private static bool CheckPath(string path, string field, bool absolute, Action<string, string> problem)
    {
        if (absolute && !path.StartsWith('/'))
            problem(field, "is not an absolute path");
        else if (Bytes(path) > MaxPathBytes)
            problem(field, $"is longer than {MaxPathBytes} bytes");
        else
            return true;
        return false;
    }

    private static int Bytes(string text) => System.Text.Encoding.UTF8.GetByteCount(text);
}
