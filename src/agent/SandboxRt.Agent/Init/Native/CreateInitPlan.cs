// What sandboxrt-init does for a new container, in runc's order: [cgroup namespace] → [loopback up] →
// "/" a recursive slave → the rootfs bound onto itself → each spec mount → [a tmpfs /dev: default devices, linux.devices, links] → pivot_root →
// createContainer hooks → [terminal, /dev/console] → hostname, domainname, sysctls → readonlyPaths,
// maskedPaths, read-only root, rootfsPropagation → rlimits, oom_score_adj → Ready → Start →
// startContainer hooks → FinalizerPlan's steps → execve.
//
// The init resolves every destination inside the rootfs itself (openat2 RESOLVE_IN_ROOT, in its own
// mount namespace, where the spec's earlier mounts are visible) and mounts through the descriptor it got;
// SecureJoin runs here too, only so that a destination that leaves the rootfs is refused by its field
// name before anything is spawned. The hooks inside the container run after pivot_root, so their paths
// resolve in the container's root file system (runc runs createContainer just before it, with host
// paths, which do not exist in the guest); their state JSON, which holds the init's pid, is sent after
// the plan (InitPlan.NeedsHookState).
using SandboxRt.Interop;
using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Seccomp;

namespace SandboxRt.Agent.Init.Native;

internal static class CreateInitPlan
{
    /// <summary>A hook's time limit when the spec gives none.</summary>
    public const uint DefaultHookTimeoutSeconds = 120;

    public static InitPlan Build(Spec spec, string cgroupPath, bool newNetwork, bool newCgroup, SeccompProgram? seccomp)
    {
        var process = spec.Process!;
        var rootfs = spec.Root!.Path;
        var plan = new InitPlan();
        if (spec.Hooks?.CreateContainer is { Count: > 0 } || spec.Hooks?.StartContainer is { Count: > 0 })
            plan.HookState();
        if (newCgroup)
            plan.Unshare("linux.namespaces (cgroup)", NamespaceTypes.CloneFlag(NamespaceTypes.Cgroup));
        if (newNetwork)
            plan.LinkUp("network (loopback)", "lo");
        plan.Mount("rootfs propagation", null, "/", null, MountFlags.Slave | MountFlags.Recursive);
        plan.Mount("root.path", rootfs, rootfs, null, MountFlags.Bind | MountFlags.Recursive);
        bool devIsTmpfs = false;
        for (int i = 0; i < (spec.Mounts?.Count ?? 0); i++)
            devIsTmpfs |= MountOne(plan, i, spec.Mounts![i], rootfs, cgroupPath, newCgroup);
        if (devIsTmpfs)
            Devices(plan, spec, rootfs);
        plan.PivotRoot("pivot_root", rootfs);
        Hooks(plan, "createContainer", spec.Hooks?.CreateContainer);
        if (process.Terminal)
            plan.Terminal("process.terminal", bindConsole: true, process.ConsoleSize is { } size ? ((ushort)size.Height, (ushort)size.Width) : null);
        if (spec.Hostname is { Length: > 0 } hostname)
            plan.Hostname("hostname", domain: false, hostname);
        if (spec.Domainname is { Length: > 0 } domainname)
            plan.Hostname("domainname", domain: true, domainname);
        // Before the read-only paths: they make /proc/sys read-only.
        foreach (var (key, value) in spec.Linux?.Sysctl ?? [])
            plan.WriteFile($"linux.sysctl.{key}", "/proc/sys/" + key.Replace('.', '/'), value);
        Finish(plan, spec);
        ExecInitPlan.ProcessLimits(plan, process);
        FinalizerPlan.AppendProgramCheck(plan, process);
        plan.Ready();
        Hooks(plan, "startContainer", spec.Hooks?.StartContainer);
        FinalizerPlan.Append(plan, process, seccomp);
        return plan;
    }

    private static void Hooks(InitPlan plan, string list, IReadOnlyList<Hook>? hooks)
    {
        for (int i = 0; i < (hooks?.Count ?? 0); i++)
        {
            var hook = hooks![i];
            var step = $"hooks.{list}[{i}]";
            if (string.IsNullOrEmpty(hook.Path))
                throw new InitStepException($"{step}.path", "a hook needs a path");
            plan.Hook(step, hook.Path, hook.Args is { Count: > 0 } args ? args : [hook.Path], hook.Env ?? [],
                hook.Timeout is int t and > 0 ? (uint)t : DefaultHookTimeoutSeconds);
        }
    }

    /// <summary>One spec mount; true when it is the tmpfs /dev that gets the default devices.</summary>
    private static bool MountOne(InitPlan plan, int index, Mount m, string rootfs, string cgroupPath, bool newCgroup)
    {
        var field = $"mounts[{index}]";
        try
        {
            SecureJoin.Resolve(rootfs, m.Destination);
        }
        catch (PathEscapeException e)
        {
            throw new InitStepException($"{field}.destination", e.Message);
        }
        var options = MountOptions.Parse(m.Options);
        var type = m.Type ?? (m.IsBind ? "bind" : "none");
        if (m.IsBind)
        {
            var source = m.Source!;
            if (!Path.Exists(source))
                throw new InitStepException($"{field}.source", $"{source} does not exist");
            plan.MountInRoot(field, rootfs, m.Destination, file: !Directory.Exists(source), source, null,
                MountFlags.Bind | (options.Flags & MountFlags.Recursive), null, options.RemountFlags, options.Propagation);
            return false;
        }
        if (type is "cgroup" or "cgroup2")
        {
            if (newCgroup)
                plan.MountInRoot(field, rootfs, m.Destination, file: false, "cgroup2", "cgroup2", options.Flags & ~MountFlags.Recursive, null, 0, options.Propagation);
            else // without a cgroup namespace, the container's own cgroup only (as runc does on v2)
                plan.MountInRoot(field, rootfs, m.Destination, file: false, cgroupPath, null, MountFlags.Bind, null, options.RemountFlags, options.Propagation);
            return false;
        }
        if (type == "tmpfs")
        {
            plan.TmpfsInRoot(field, rootfs, m.Destination, m.Source ?? type, options.Flags & ~MountFlags.Recursive, options.Data, options.CopyUp, options.Propagation);
            return m.Destination == "/dev";
        }
        plan.MountInRoot(field, rootfs, m.Destination, file: false, m.Source ?? type, type, options.Flags & ~MountFlags.Recursive,
            options.Data.Length > 0 ? options.Data : null, 0, options.Propagation);
        return false;
    }

    private static void Devices(InitPlan plan, Spec spec, string rootfs)
    {
        foreach (var (path, major, minor) in DefaultDevices.Nodes)
            plan.MakeDeviceInRoot($"default device {path}", rootfs, path, true, major, minor, 0x1B6, 0, 0);
        for (int i = 0; i < (spec.Linux?.Devices?.Count ?? 0); i++)
        {
            var d = spec.Linux!.Devices![i];
            if (d.Type is not ("c" or "u" or "b"))
                continue; // fifos ("p") are not device nodes
            var field = $"linux.devices[{i}]";
            try
            {
                SecureJoin.Resolve(rootfs, d.Path);
            }
            catch (PathEscapeException e)
            {
                throw new InitStepException($"{field}.path", e.Message);
            }
            plan.MakeDeviceInRoot(field, rootfs, d.Path, d.Type != "b", (uint)d.Major, (uint)d.Minor, d.FileMode ?? 0x1B6, d.Uid ?? 0, d.Gid ?? 0);
        }
        foreach (var (link, target) in DefaultDevices.Links)
            plan.SymlinkInRoot($"device link {link}", rootfs, target, link);
        plan.CreateDirectoryInRoot("/dev/pts", rootfs, "/dev/pts");
        plan.CreateDirectoryInRoot("/dev/shm", rootfs, "/dev/shm");
    }

    /// <summary>After pivot_root: read-only and masked paths, a read-only root, the root's propagation (runc's finalizeRootfs).</summary>
    private static void Finish(InitPlan plan, Spec spec)
    {
        var linux = spec.Linux;
        for (int i = 0; i < (linux?.ReadonlyPaths?.Count ?? 0); i++)
            plan.ReadonlyPath($"linux.readonlyPaths[{i}]", linux!.ReadonlyPaths![i]);
        for (int i = 0; i < (linux?.MaskedPaths?.Count ?? 0); i++)
            plan.MaskPath($"linux.maskedPaths[{i}]", linux!.MaskedPaths![i]);
        if (spec.Root?.Readonly == true)
            plan.Mount("root.readonly", null, "/", null, MountFlags.Remount | MountFlags.Bind | MountFlags.ReadOnly);
        if (linux?.RootfsPropagation is { Length: > 0 } propagation)
            plan.Mount("linux.rootfsPropagation", null, "/", null, MountOptions.Parse([propagation]).Propagation[0]);
    }
}
