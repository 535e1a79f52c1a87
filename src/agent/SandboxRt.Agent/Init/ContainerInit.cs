// The .NET container init: the agent binary re-executed as `sandboxrt-agent init` (never a fork of the
// agent's runtime). sandboxrt-init (Init/Native, src/agent/sandboxrt-init) does the same work from a plan
// and is what runs normally; this one remains only for guest images built without it. The agent spawned it inside the container's new namespaces (or, for exec, the container's
// pid/ipc/uts/net/cgroup namespaces), with the workload's stdio as fds 0-2 and the init socket as fd 3;
// for exec, fd 4 is the container's mount namespace.
//
//   create: receive Config → [cgroup namespace] → [loopback up] → build the rootfs and pivot_root →
//           [terminal: a pty from the container's own devpts, master sent to the agent] →
//           createContainer hooks → hostname, sysctls → finish the rootfs (read-only/masked paths) → rlimits, oom_score_adj → Ready →
//           wait for Start → startContainer hooks → ProcessFinalizer (user, capabilities, seccomp, execve)
//   exec:   receive Config → join the mount namespace → [terminal] → rlimits → Ready → Start → finalize
// Any failure is sent as an Error naming the step and ends the process; the agent reports it.
// The steps take IInitSyscalls: LinuxInitSyscalls here, a recording fake in SandboxRt.Agent.UnitTests.
using SandboxRt.Agent.Init.Syscalls;
using SandboxRt.Interop;
using SandboxRt.Oci.Validation;

namespace SandboxRt.Agent.Init;

internal static class ContainerInit
{
    public const int SocketFd = 3;
    public const int MountNamespaceFd = 4;

    public static int Run() => Run(LinuxInitSyscalls.Instance);

    private static int Run(IInitSyscalls sys)
    {
        var socket = SafeFdHandle.FromInherited(SocketFd);
        // posix_spawn's dup2 cleared close-on-exec; set it again so that a successful execve closes the
        // socket (the agent reads that as "started") and the workload never inherits it.
        Descriptors.SetInheritable(socket, false);
        using var channel = new InitChannel(socket);
        string step = "init";
        try
        {
            ProcessControl.SetDumpable(false);
            var message = channel.Receive() ?? throw new InitStepException("init", "the agent closed the init socket");
            if (message.Type != InitMessage.ConfigType || message.Config is null)
                throw new InitStepException("init", $"expected a config message, got '{message.Type}'");
            var config = message.Config;
            step = "prepare";
            var seccomp = SeccompStep.Compile(config.Spec.Linux?.Seccomp);
            if (config.Mode == "exec")
                PrepareExec(config, channel, sys);
            else
                PrepareContainer(config, channel, sys);

            channel.Send(new InitMessage { Type = InitMessage.ReadyType });
            var start = channel.Receive();
            if (start?.Type != InitMessage.StartType)
                return 1; // the agent gave up on this container (removed before start)
            step = "start";
            if (config.Mode != "exec")
                ContainerHooks.Run("startContainer", config.Spec.Hooks?.StartContainer, config.HookState);
            ProcessFinalizer.Run(config.Process, seccomp, text => channel.Send(new InitMessage { Type = InitMessage.WarningType, Step = step, Error = text }), sys);
            return 1; // unreachable: Run execs or throws
        }
        catch (ExecFailedException e)
        {
            TrySend(channel, new InitMessage { Type = InitMessage.ErrorType, Step = "exec", Error = e.Message, Errno = (int)e.Errno });
            return e.Errno == Errno.ENOENT ? 127 : 126;
        }
        catch (InitStepException e)
        {
            TrySend(channel, new InitMessage { Type = InitMessage.ErrorType, Step = e.Step, Error = e.Message });
            return 1;
        }
        catch (Exception e)
        {
            TrySend(channel, new InitMessage { Type = InitMessage.ErrorType, Step = step, Error = $"{step}: {e.Message}" });
            return 1;
        }
    }

    /// <summary>Everything between the config and Ready for a new container; the channel carries a terminal's master.</summary>
    internal static void PrepareContainer(InitConfig config, InitChannel? channel, IInitSyscalls sys)
    {
        var spec = config.Spec;
        if (config.NewCgroupNamespace)
            InitStep.Run("linux.namespaces (cgroup)", () => sys.Unshare(NamespaceTypes.CloneFlag(NamespaceTypes.Cgroup), "cgroup"));
        if (config.NewNetworkNamespace)
            InitStep.Run("network (loopback)", () => sys.BringUpDevice("lo"));
        var rootfs = new RootfsBuilder(spec, spec.Root!.Path, config.CgroupPath, config.NewCgroupNamespace, sys);
        rootfs.Build();
        ContainerHooks.Run("createContainer", spec.Hooks?.CreateContainer, config.HookState);
        if (config.Process.Terminal)
            TerminalSetup.Run(config.Process, channel ?? throw new InitStepException("process.terminal", "no init channel to send the terminal on"), bindConsole: true, sys);
        if (spec.Hostname is { Length: > 0 } hostname)
            InitStep.Run("hostname", () => sys.SetHostname(hostname));
        if (spec.Domainname is { Length: > 0 } domainname)
            InitStep.Run("domainname", () => sys.SetDomainname(domainname));
        // Before Finish: readonlyPaths makes /proc/sys read-only.
        foreach (var (key, value) in spec.Linux?.Sysctl ?? [])
            InitStep.Run($"linux.sysctl.{key}", () => sys.WriteText("/proc/sys/" + key.Replace('.', '/'), value));
        rootfs.Finish();
        ApplyProcessLimits(config.Process, sys);
    }

    private static void PrepareExec(InitConfig config, InitChannel channel, IInitSyscalls sys)
    {
        InitStep.Run("join mount namespace", () =>
        {
            // setns(CLONE_NEWNS) needs an fs_struct of our own; this runtime's threads share one.
            Namespaces.Unshare(Namespaces.CloneFs, "CLONE_FS");
            using var mnt = SafeFdHandle.FromInherited(MountNamespaceFd);
            Namespaces.Join(mnt, NamespaceTypes.CloneFlag(NamespaceTypes.Mount), "container mount namespace");
            ProcessControl.ChangeDirectory("/");
        });
        if (config.Process.Terminal)
            TerminalSetup.Run(config.Process, channel, bindConsole: false, sys);
        ApplyProcessLimits(config.Process, sys);
    }

    private static void ApplyProcessLimits(Oci.Spec.Process process, IInitSyscalls sys)
    {
        for (int i = 0; i < (process.Rlimits?.Count ?? 0); i++)
        {
            var r = process.Rlimits![i];
            if (!RlimitNames.TryGetNumber(r.Type, out int resource))
                throw new InitStepException($"process.rlimits[{i}].type", $"unknown resource limit '{r.Type}'");
            InitStep.Run($"process.rlimits[{i}]", () => sys.SetResourceLimit(resource, r.Soft, r.Hard, r.Type));
        }
        if (process.OomScoreAdj is { } adj)
            InitStep.Run("process.oomScoreAdj", () => sys.WriteText("/proc/self/oom_score_adj", adj.ToString()));
    }

    private static void TrySend(InitChannel channel, InitMessage message)
    {
        try
        {
            channel.Send(message);
        }
        catch (SyscallException)
        {
        }
    }
}
