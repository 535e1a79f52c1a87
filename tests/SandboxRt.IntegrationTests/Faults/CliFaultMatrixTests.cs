using System.Text.Json;
using SandboxRt.IntegrationTests.Support;
using static SandboxRt.IntegrationTests.Faults.FaultComponent;
using static SandboxRt.IntegrationTests.Faults.FaultPhase;

namespace SandboxRt.IntegrationTests.Faults;

/// <summary>
/// The fault matrix through the runc CLI: one component killed (or the guest crashed) in one phase. Every
/// cell: the client in progress ends within <see cref="Bound"/> with an exit status (and an error on stderr
/// when it failed), `delete --force` (what a user, or Docker, does next) succeeds, and the leak checker finds
/// nothing of the container on the host. docs/reliability.md has the table and what each cell found.
/// </summary>
[Trait("Tier", "fault")]
[Collection("fault")]
public sealed class CliFaultMatrixTests
{
    /// <summary>A hang detector: a VM boots in 3-15 s here, the runtime's own timeouts are shorter.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Cells that are one code path are collapsed (docs/reliability.md says why): the guest before its
    /// agent runs is QEMU exiting, and so is a guest crash while delete stops the VM; virtiofsd during
    /// delete is the same as virtiofsd gone before delete (the running cell).
    /// </summary>
    public static TheoryData<FaultPhase, FaultComponent> Cells => new()
    {
        { Boot, Qemu }, { Boot, Virtiofsd }, { Boot, Relay }, { Boot, Client },
        { Create, Qemu }, { Create, Virtiofsd }, { Create, Relay }, { Create, Client },
        { Running, Qemu }, { Running, Virtiofsd }, { Running, Relay }, { Running, Guest },
        { Exec, Qemu }, { Exec, Virtiofsd }, { Exec, Relay }, { Exec, Client }, { Exec, Guest },
        { Delete, Qemu }, { Delete, Client },
    };

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task A_killed_component_ends_the_call_and_delete_leaves_nothing(FaultPhase phase, FaultComponent component)
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-fault");
        var id = $"f-{phase}-{component}-{Guid.NewGuid().ToString("N")[..6]}".ToLowerInvariant();
        var stateDirectory = Path.Combine(state.Path, id);
        var leaks = LeakChecker.ForCli(state.Path, id);
        using var bundle = new TestBundle(s =>
        {
            PrivilegedGuest.MakePrivileged(s); // the guest cells crash the kernel from inside
            s.Process!.Args = ["sleep", "100000"];
        });
        if (phase == Create)
            CreateHold.Install(bundle);
        try
        {
            switch (phase)
            {
                case Boot or Create:
                    await DuringCreateAsync(phase, component, state.Path, stateDirectory, id, bundle, leaks);
                    break;
                case Running:
                    await WhileRunningAsync(component, state.Path, stateDirectory, id, bundle, leaks);
                    break;
                case Exec:
                    await DuringExecAsync(component, state.Path, stateDirectory, id, bundle, leaks);
                    break;
                case Delete:
                    await DuringDeleteAsync(component, state.Path, id, bundle, leaks);
                    break;
            }
            var delete = await CliRun.RunAsync(["delete", "--force", id], root: state.Path, timeout: Bound);
            Assert.True(delete.ExitCode == 0, $"delete --force after the fault: exit {delete.ExitCode}: {delete.Stderr}");
            await leaks.AssertCleanAsync();
        }
        finally
        {
            CreateHold.Release(bundle);
            HostLeaks.KillEverythingUnder(state.Path); // a failed cell leaves nothing for the next
        }
    }

    /// <summary>How long an exec into a container whose relay or VM is gone may take to fail: no VM to boot, nothing to wait for.</summary>
    private static readonly TimeSpan ExecBound = TimeSpan.FromSeconds(20);

    /// <summary>The exec column after the fact: a component killed while the container runs, then a new `exec`.</summary>
    public static TheoryData<FaultComponent> ExecAfterCells => new() { Qemu, Virtiofsd, Relay, Guest };

    [Theory]
    [MemberData(nameof(ExecAfterCells))]
    public async Task Exec_after_a_killed_component_fails_quickly_naming_the_container_and_delete_leaves_nothing(FaultComponent component)
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-fault");
        var id = $"f-after-{component}-{Guid.NewGuid().ToString("N")[..6]}".ToLowerInvariant();
        var stateDirectory = Path.Combine(state.Path, id);
        var leaks = LeakChecker.ForCli(state.Path, id);
        using var bundle = new TestBundle(s =>
        {
            PrivilegedGuest.MakePrivileged(s);
            s.Process!.Args = ["sleep", "100000"];
        });
        try
        {
            int relay = await CreateAndStartAsync(state.Path, id, bundle);
            leaks.Own(relay);
            var relayIdentity = SandboxRt.Runtime.State.ProcessIdentity.Of(relay)!;
            await StrikeAsync(component, state.Path, id, stateDirectory, client: null, leaks);
            // gone = exited or a zombie (who reaps a killed relay is not the runtime's business)
            await Condition.WaitAsync(() => !relayIdentity.IsAlive, "the relay to be gone", Bound);
            var exec = await CliRun.RunAsync(["exec", id, "echo", "unreachable"], root: state.Path, timeout: ExecBound);
            Assert.True(exec.ExitCode != 0, $"exec after {component} was killed: exit 0: {exec.Stdout}");
            Assert.Contains(id, exec.Stderr);
            var delete = await CliRun.RunAsync(["delete", "--force", id], root: state.Path, timeout: Bound);
            Assert.True(delete.ExitCode == 0, $"delete --force after the fault: exit {delete.ExitCode}: {delete.Stderr}");
            await leaks.AssertCleanAsync();
        }
        finally
        {
            HostLeaks.KillEverythingUnder(state.Path);
        }
    }

    /// <summary>
    /// The race of the cells above: the relay is alive when `exec` checks it and gone when `exec` talks to
    /// it. SIGSTOP holds the relay alive while exec connects to its proxy (the connection waits in the
    /// listen backlog), then SIGKILL. Before RelayProxyConnector, exec retried the refused proxy for the
    /// agent client's 60 s window and more.
    /// </summary>
    [Fact]
    public async Task Exec_whose_relay_dies_while_it_connects_fails_quickly_naming_the_container()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-fault");
        var id = $"f-race-relay-{Guid.NewGuid().ToString("N")[..6]}";
        var leaks = LeakChecker.ForCli(state.Path, id);
        using var bundle = new TestBundle(s => s.Process!.Args = ["sleep", "100000"]);
        try
        {
            int relay = await CreateAndStartAsync(state.Path, id, bundle);
            leaks.Own(relay);
            var proxy = SandboxRt.Runtime.Relay.AgentEndpoints.ProxySocket(Path.Combine(state.Path, id));
            SandboxRt.Interop.ChildProcesses.Signal(relay, 19); // SIGSTOP
            using var exec = RunningClient.Cli(state.Path, "exec", id, "echo", "unreachable");
            leaks.Own(exec.Pid);
            await Condition.WaitAsync(async () => exec.HasExited || await PendingConnectionsAsync(relay, proxy) > 0, "exec to connect to the stopped relay's proxy", Bound);
            Assert.False(exec.HasExited, $"exec ended before it connected to the stopped relay's proxy: stderr: {exec.Stderr}");
            SandboxProcesses.Kill(relay);
            int status = await exec.WaitForExitAsync(ExecBound);
            Assert.NotEqual(0, status);
            Assert.Contains(id, exec.Stderr);
            var delete = await CliRun.RunAsync(["delete", "--force", id], root: state.Path, timeout: Bound);
            Assert.True(delete.ExitCode == 0, $"delete --force: exit {delete.ExitCode}: {delete.Stderr}");
            await leaks.AssertCleanAsync();
        }
        finally
        {
            HostLeaks.KillEverythingUnder(state.Path);
        }
    }

    /// <summary>Connections waiting in the backlog of the Unix socket listening at <paramref name="path"/> (ss's Recv-Q, in the relay's network namespace).</summary>
    private static async Task<int> PendingConnectionsAsync(int relay, string path)
    {
        var ss = await Command.RunAsync("nsenter", ["-t", relay.ToString(), "-n", "ss", "-xlnH"]);
        foreach (var line in ss.Stdout.Split('\n'))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 5 && fields[4] == path)
                return int.Parse(fields[2]);
        }
        return 0;
    }

    private static async Task DuringCreateAsync(FaultPhase phase, FaultComponent component, string root, string stateDirectory, string id, TestBundle bundle, LeakChecker leaks)
    {
        // The boot phase is a kernel booting: with VM templates off (a clone has no boot to strike in).
        using var create = phase == Boot
            ? RunningClient.Cli(root, "--config-option", "qemu.vm_template=false", "create", "--bundle", bundle.Directory, id)
            : RunningClient.Cli(root, "create", "--bundle", bundle.Directory, id);
        leaks.Own(create.Pid);
        if (phase == Boot)
            await SandboxProcesses.WaitForBootAsync(id, stateDirectory);
        else
            await CreateHold.WaitReachedAsync(bundle, Bound);
        Strike(component, id, stateDirectory, client: create.Pid, leaks);
        CreateHold.Release(bundle);
        int status = await create.WaitForExitAsync(Bound);
        if (component == Client)
            Assert.Equal(137, status);
        else
        {
            Assert.NotEqual(0, status);
            Assert.False(string.IsNullOrWhiteSpace(create.Stderr), "a failed create says why");
        }
    }

    private static async Task WhileRunningAsync(FaultComponent component, string root, string stateDirectory, string id, TestBundle bundle, LeakChecker leaks)
    {
        int relay = await CreateAndStartAsync(root, id, bundle);
        leaks.Own(relay);
        await StrikeAsync(component, root, id, stateDirectory, client: null, leaks);
        if (component is Qemu or Guest or Virtiofsd)
            await Condition.WaitAsync(() => !SandboxRt.Interop.ChildProcesses.Exists(relay), "the relay to exit with the VM", Bound);
        var query = await CliRun.RunAsync(["state", id], root: root, timeout: Bound);
        Assert.True(query.ExitCode == 0 || query.Stderr.Length > 0, "state answers or says why not");
        if (component is Qemu or Guest or Virtiofsd)
            Assert.Equal("stopped", JsonDocument.Parse(query.Stdout).RootElement.GetProperty("status").GetString());
    }

    private static async Task DuringExecAsync(FaultComponent component, string root, string stateDirectory, string id, TestBundle bundle, LeakChecker leaks)
    {
        leaks.Own(await CreateAndStartAsync(root, id, bundle));
        using var exec = RunningClient.Cli(root, "exec", id, "sh", "-c", "echo exec-ready; exec sleep 100000");
        leaks.Own(exec.Pid);
        await exec.WaitForOutputAsync("exec-ready");
        await StrikeAsync(component, root, id, stateDirectory, client: exec.Pid, leaks);
        int status = await exec.WaitForExitAsync(Bound);
        if (component == Client)
            Assert.Equal(137, status);
        else
            Assert.NotEqual(0, status);
    }

    private static async Task DuringDeleteAsync(FaultComponent component, string root, string id, TestBundle bundle, LeakChecker leaks)
    {
        int relay = await CreateAndStartAsync(root, id, bundle);
        using var delete = RunningClient.Cli(root, "delete", "--force", id);
        leaks.Own(delete.Pid).Own(relay);
        // delete kills the relays first, then stops the VM: the relay gone with delete still running is the moment
        await Condition.WaitAsync(() => !SandboxRt.Interop.ChildProcesses.Exists(relay), "delete to kill the relay", Bound);
        if (component == Client)
            SandboxProcesses.Kill(delete.Pid);
        else if (SandboxProcesses.Qemu(id) is { } qemu)
            SandboxProcesses.Kill(qemu);
        int status = await delete.WaitForExitAsync(Bound);
        if (component == Client)
            Assert.True(status is 137 or 0, $"delete was killed or had finished: {status}");
    }

    private static async Task<int> CreateAndStartAsync(string root, string id, TestBundle bundle)
    {
        var pidFile = Path.Combine(bundle.Directory, "relay.pid");
        var create = await CliRun.RunLeavingRelayAsync(["create", "--bundle", bundle.Directory, "--pid-file", pidFile, id], root);
        Assert.True(create.ExitCode == 0, $"create: {create.Stderr}");
        var start = await CliRun.RunAsync(["start", id], root: root, timeout: Bound);
        Assert.True(start.ExitCode == 0, $"start: {start.Stderr}");
        return int.Parse(File.ReadAllText(pidFile));
    }

    private static async Task StrikeAsync(FaultComponent component, string root, string id, string stateDirectory, int? client, LeakChecker leaks)
    {
        if (component != Guest)
        {
            Strike(component, id, stateDirectory, client, leaks);
            return;
        }
        // sysrq "c" from the privileged container: the guest kernel panics, panic=-1 and -no-reboot end QEMU
        var crash = await CliRun.RunAsync(["exec", id, "sh", "-c", "echo c > /proc/sysrq-trigger"], root: root, timeout: Bound);
        Assert.NotEqual(0, crash.ExitCode);
    }

    private static void Strike(FaultComponent component, string id, string stateDirectory, int? client, LeakChecker leaks)
    {
        IReadOnlyList<int> victims = component switch
        {
            Qemu => [SandboxProcesses.Qemu(id) ?? throw new InvalidOperationException($"no QEMU for {id}")],
            Virtiofsd => SandboxProcesses.Virtiofsd(stateDirectory) is { Count: > 0 } v ? v : throw new InvalidOperationException($"no virtiofsd for {id}"),
            Relay => [SandboxProcesses.Relay(id) ?? throw new InvalidOperationException($"no relay for {id}")],
            Client => [client ?? throw new InvalidOperationException("no client call in progress")],
            _ => throw new ArgumentOutOfRangeException(nameof(component), component, "not a CLI component"),
        };
        foreach (var pid in victims)
        {
            leaks.Own(pid); // what it may leave (its .NET diagnostic files) is the sandbox's
            SandboxProcesses.Kill(pid);
        }
    }
}
