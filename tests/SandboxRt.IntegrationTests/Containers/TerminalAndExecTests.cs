using System.Text;
using SandboxRt.IntegrationTests.Support;
using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Containers;
using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.IntegrationTests.Containers;

/// <summary>Terminal, exec and the other process RPCs, driven through the runtime's own agent client.</summary>
[Trait("Tier", "vm")]
public sealed class TerminalAndExecTests
{
    private static async Task<(Sandbox Sandbox, string Id)> CreateAsync(TestBundle bundle, ScratchDirectory state)
    {
        var id = "tx-" + Guid.NewGuid().ToString("N")[..8];
        var sandbox = await Sandbox.StartAsync(new SandboxStartOptions(id, state.Path, VmTestConfig.Load()) { WithSharedDirectory = true }, TestLog.Instance);
        var guestSpec = BundleSpecRewriter.ForGuest(bundle.Spec, bundle.Directory, id, sandbox.Shared!);
        await sandbox.Agent.CreateContainerAsync(id, guestSpec, stdin: true);
        return (sandbox, id);
    }

    private static async Task<string> CollectUntilAsync(StringBuilder output, string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!output.ToString().Contains(text) && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        return output.ToString();
    }

    [Fact]
    public async Task A_terminal_follows_window_resizes()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s =>
        {
            s.Process!.Terminal = true;
            s.Process.ConsoleSize = new ConsoleSize { Height = 24, Width = 80 };
            s.Process.Args = ["sh", "-c", "stty size; tty; read line; stty size; echo finished"];
        });
        var (sandbox, id) = await CreateAsync(bundle, state);
        await using (sandbox)
        {
            var output = new StringBuilder();
            var reader = Task.Run(async () =>
            {
                await foreach (var chunk in sandbox.Agent.ReadOutputAsync(id, "", stderr: false))
                    lock (output)
                        output.Append(Encoding.UTF8.GetString(chunk.Span));
            });
            await sandbox.Agent.StartContainerAsync(id);
            Assert.Contains("24 80", await CollectUntilAsync(output, "24 80", TimeSpan.FromSeconds(30)));
            await sandbox.Agent.ResizeAsync(id, "", 40, 100);
            await using (var stdin = sandbox.Agent.OpenStdin(id, "", closeAtEnd: false))
            {
                await stdin.WriteAsync("go\r"u8.ToArray());
                Assert.Equal(3, await stdin.CompleteAsync());
            }
            var exit = await sandbox.Agent.WaitAsync(id, "");
            await reader.WaitAsync(TimeSpan.FromSeconds(10));
            var text = output.ToString();
            TestContext.Current.TestOutputHelper?.WriteLine(text);
            Assert.Equal(0, exit.Status);
            Assert.Contains("40 100", text);
            Assert.Contains("/dev/pts/0", text);   // the pty belongs to the container's own devpts
            Assert.Contains("finished", text);
        }
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    [Fact]
    public async Task A_second_container_joins_the_first_ones_namespaces_by_path()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var first = new TestBundle(s =>
        {
            s.Hostname = "pod-host";
            s.Process!.Args = ["sh", "-c", "echo shared > /dev/shm/marker; while true; do sleep 1; done"];
            s.Root!.Readonly = false;
        });
        var (sandbox, id) = await CreateAsync(first, state);
        await using (sandbox)
        {
            var agent = sandbox.Agent;
            await agent.StartContainerAsync(id);
            var initPid = (await agent.ListProcessesAsync(id)).First(p => p.Command.StartsWith("sh -c echo shared")).Pid;
            // The second container names the first one's namespaces by their guest paths, as a pod's
            // containers name the sandbox container's (the shim translates host paths to these).
            using var second = new TestBundle(s =>
            {
                s.Process!.Args = ["sh", "-c", "hostname; ls /proc | grep -c '^[0-9]'; cat /proc/1/cmdline | tr '\\0' ' '; echo"];
                s.Hostname = null;
                foreach (var ns in s.Linux!.Namespaces!.Where(n => n.Type is "pid" or "uts" or "ipc" or "network"))
                    ns.Path = $"/proc/{initPid}/ns/{(ns.Type == "network" ? "net" : ns.Type)}";
            });
            var guestSpec = BundleSpecRewriter.ForGuest(second.Spec, second.Directory, id + "-2", sandbox.Shared!);
            await agent.CreateContainerAsync(id + "-2", guestSpec, stdin: false);
            var output = new StringBuilder();
            var errors = new StringBuilder();
            var reader = Task.Run(async () =>
            {
                await foreach (var chunk in agent.ReadOutputAsync(id + "-2", "", stderr: false))
                    output.Append(Encoding.UTF8.GetString(chunk.Span));
            });
            var errorReader = Task.Run(async () =>
            {
                await foreach (var chunk in agent.ReadOutputAsync(id + "-2", "", stderr: true))
                    errors.Append(Encoding.UTF8.GetString(chunk.Span));
            });
            await agent.StartContainerAsync(id + "-2");
            var exit = await agent.WaitAsync(id + "-2", "");
            await Task.WhenAll(reader, errorReader).WaitAsync(TimeSpan.FromSeconds(10));
            var lines = output.ToString().Split('\n');
            TestContext.Current.TestOutputHelper?.WriteLine(output.ToString() + errors);
            Assert.Equal(0, exit.Status);
            Assert.Equal("pod-host", lines[0]);                          // the first container's uts namespace
            Assert.StartsWith("sh -c echo shared", lines[2]);            // its pid namespace: pid 1 is the first container's init
            await agent.RemoveContainerAsync(id + "-2", force: false);
            await agent.RemoveContainerAsync(id, force: true);
        }
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    [Fact]
    public async Task Exec_pause_resume_stats_signals_and_processes_work_on_a_running_container()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s =>
        {
            s.Process!.Args = ["sh", "-c", "trap 'echo got-term; exit 3' TERM; while true; do sleep 0.2; done"];
            s.Linux!.Resources!.Memory = new LinuxMemory { Limit = 128L * 1024 * 1024 };
        });
        var (sandbox, id) = await CreateAsync(bundle, state);
        await using (sandbox)
        {
            var agent = sandbox.Agent;
            var initOutput = new StringBuilder();
            var initReader = Task.Run(async () =>
            {
                await foreach (var chunk in agent.ReadOutputAsync(id, "", stderr: false))
                    lock (initOutput)
                        initOutput.Append(Encoding.UTF8.GetString(chunk.Span));
            });
            await agent.StartContainerAsync(id);

            // exec joins the container: same pid namespace (it sees pid 1 is the container's sh).
            var exec = new Process { Args = ["sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; echo; hostname; exit 4"], Env = ["PATH=/bin:/usr/bin"], Cwd = "/" };
            await agent.ExecAsync(id, "e1", exec, stdin: false);
            var execOut = new StringBuilder();
            await foreach (var chunk in agent.ReadOutputAsync(id, "e1", stderr: false))
                execOut.Append(Encoding.UTF8.GetString(chunk.Span));
            var execExit = await agent.WaitAsync(id, "e1");
            Assert.Equal(4, execExit.Status);
            Assert.StartsWith("sh -c trap", execOut.ToString());
            Assert.Contains("sandboxrt", execOut.ToString());

            var processes = await agent.ListProcessesAsync(id);
            Assert.Contains(processes, p => p.Command.StartsWith("sh -c trap"));

            var stats = await agent.StatsAsync(id);
            Assert.Equal(128UL * 1024 * 1024, stats.MemoryLimitBytes);
            Assert.True(stats.MemoryUsageBytes > 0);
            Assert.True(stats.PidsCurrent >= 1);

            await agent.PauseContainerAsync(id);
            var paused = await Assert.ThrowsAsync<AgentException>(() => agent.PauseContainerAsync(id));
            Assert.Contains("cannot pause container", paused.Message);
            Assert.Contains("paused state", paused.Message);
            await agent.ResumeContainerAsync(id);

            await agent.SignalAsync(id, "", 15, all: false);
            var exit = await agent.WaitAsync(id, "");
            await initReader.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(3, exit.Status);
            Assert.Contains("got-term", initOutput.ToString());

            var notRunning = await Assert.ThrowsAsync<AgentException>(() => agent.ExecAsync(id, "e2", exec, stdin: false));
            Assert.Contains("stopped state", notRunning.Message);
            await agent.RemoveContainerAsync(id, force: false);
            var gone = await Assert.ThrowsAsync<AgentException>(() => agent.StatsAsync(id));
            Assert.Equal(AgentErrorKind.NotFound, gone.Kind);
        }
        LeakCheck.AssertNothingLeft(state.Path, id);
    }
}
