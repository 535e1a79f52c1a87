using System.Diagnostics;
using SandboxRt.Agent.Init;
using SandboxRt.Agent.Init.Native;
using SandboxRt.Interop;

namespace SandboxRt.Agent.UnitTests.Init;

/// <summary>
/// The real sandboxrt-init, compiled here with gcc as the guest image build does, driven over a real init
/// socket with plans from <see cref="InitPlan"/>: the agent's side of the protocol (InitChannel, the JSON
/// it parses) against the C side. Only steps that need no privilege run here; the VM tiers run the rest.
/// </summary>
public sealed class NativeInitProcessTests
{
    private static readonly Lazy<string> Program = new(Compile);

    [Fact]
    public void A_plan_runs_to_ready_waits_for_start_and_execs_with_the_environment_it_was_given()
    {
        var plan = new InitPlan();
        plan.Ready();
        plan.ChangeDirectory("process.cwd", "/tmp");
        plan.DefaultSignals("signals");
        plan.Umask("process.user.umask", 0x3F);
        plan.Resolve("sh", ["sh", "-c", "pwd; umask; echo $FOO; echo $HOME"], ["FOO=bar", "HOME=/home/x", "PATH=/nonexistent:/usr/bin:/bin"], homeOfUid: null);
        plan.Execute();
        using var run = InitRun.Start(plan);

        Assert.Equal(InitMessage.ReadyType, run.Channel.Receive()?.Type);
        run.Channel.Send(new InitMessage { Type = InitMessage.StartType });
        Assert.Null(run.Channel.Receive()); // execve closed the init's end of the socket
        Assert.Equal((0, "/tmp\n0077\nbar\n/home/x\n"), run.Wait());
    }

    [Fact]
    public void A_program_not_on_path_is_enoent_with_runcs_text_and_status_127()
    {
        var plan = new InitPlan();
        plan.Resolve("no-such-program", ["no-such-program"], ["PATH=/usr/bin:/bin"], homeOfUid: 0);
        plan.Execute();
        using var run = InitRun.Start(plan);

        var error = run.Channel.Receive();
        Assert.Equal(InitMessage.ErrorType, error?.Type);
        Assert.Equal("exec", error!.Step);
        Assert.Equal("exec: \"no-such-program\": executable file not found in $PATH", error.Error);
        Assert.Equal((int)Errno.ENOENT, error.Errno);
        Assert.Equal(127, run.Wait().Status);
    }

    /// <summary>
    /// An execve that fails says why in Go's lower-case words, as runc does: the docker CLI gives `docker
    /// run` status 126 for "permission denied" and 127 for "no such file or directory" by matching them
    /// (case-sensitively; "Permission denied" made it 125).
    /// </summary>
    [Theory]
    [InlineData("/etc/passwd", "permission denied (EACCES)", Errno.EACCES, 126)]
    [InlineData("/nonexistent/program", "no such file or directory (ENOENT)", Errno.ENOENT, 127)]
    public void An_execve_that_fails_is_reported_in_runcs_lower_case_words(string program, string reason, Errno errno, int status)
    {
        var plan = new InitPlan();
        plan.Resolve(program, [program], ["PATH=/usr/bin:/bin"], homeOfUid: 0);
        plan.Execute();
        using var run = InitRun.Start(plan);

        var error = run.Channel.Receive();
        Assert.Equal(InitMessage.ErrorType, error?.Type);
        Assert.Equal($"exec: \"{program}\": execve(\"{program}\"): {reason}", error!.Error);
        Assert.Equal((int)errno, error.Errno);
        Assert.Equal(status, run.Wait().Status);
    }

    /// <summary>
    /// A container's program that cannot run fails before "ready", that is at create, as runc's lookup
    /// does: not found (127) or not executable (126), in runc's words; one that can run lets the init go on.
    /// </summary>
    [Theory]
    [InlineData("no-such-program", "exec: \"no-such-program\": executable file not found in $PATH", 127)]
    [InlineData("/etc/passwd", "exec: \"/etc/passwd\": access(\"/etc/passwd\"): permission denied (EACCES)", 126)]
    [InlineData("/nonexistent/program", "exec: \"/nonexistent/program\": access(\"/nonexistent/program\"): no such file or directory (ENOENT)", 127)]
    public void A_program_that_cannot_run_fails_the_init_before_ready(string program, string text, int status)
    {
        var plan = new InitPlan();
        plan.CheckProgram(program, ["PATH=/usr/bin:/bin"]);
        plan.Ready();
        using var run = InitRun.Start(plan);

        var error = run.Channel.Receive();
        Assert.Equal(InitMessage.ErrorType, error?.Type); // not "ready"
        Assert.Equal("exec", error!.Step);
        Assert.Equal(text, error.Error);
        Assert.Equal(status, run.Wait().Status);
    }

    [Fact]
    public void A_program_that_can_run_passes_the_check_and_the_init_goes_on_to_ready()
    {
        var plan = new InitPlan();
        plan.CheckProgram("sh", ["PATH=/usr/bin:/bin"]);
        plan.Ready();
        using var run = InitRun.Start(plan);
        Assert.Equal(InitMessage.ReadyType, run.Channel.Receive()?.Type);
    }

    [Fact]
    public void A_failing_step_is_reported_by_its_name_with_the_call_and_errno_and_nothing_after_it_runs()
    {
        var plan = new InitPlan();
        plan.ChangeDirectory("process.cwd", "/nonexistent/dir");
        plan.Resolve("sh", ["sh", "-c", "echo ran"], ["PATH=/bin"], homeOfUid: null);
        plan.Execute();
        using var run = InitRun.Start(plan);

        var error = run.Channel.Receive();
        Assert.Equal(InitMessage.ErrorType, error?.Type);
        Assert.Equal("process.cwd", error!.Step);
        Assert.Equal("process.cwd: chdir(\"/nonexistent/dir\"): ENOENT (No such file or directory)", error.Error);
        Assert.Equal((1, ""), run.Wait());
    }

    [Fact]
    public void An_agent_that_gives_up_before_start_ends_the_init_without_exec()
    {
        var plan = new InitPlan();
        plan.Ready();
        plan.Resolve("sh", ["sh", "-c", "echo ran"], ["PATH=/bin"], homeOfUid: null);
        plan.Execute();
        using var run = InitRun.Start(plan);

        Assert.Equal(InitMessage.ReadyType, run.Channel.Receive()?.Type);
        run.Channel.Socket.Dispose();
        Assert.Equal((1, ""), run.Wait());
    }

    [Fact]
    public void A_plan_it_cannot_read_is_refused_as_a_protocol_error()
    {
        var bytes = new InitPlan().ToArray().Concat(new byte[] { (byte)InitOperation.ChangeDirectory, 200, 0, 0, 0 }).ToArray();
        using var run = InitRun.Start(bytes);

        var error = run.Channel.Receive();
        Assert.Equal(InitMessage.ErrorType, error?.Type);
        Assert.Equal("init: init protocol: the plan ends inside an operation", error!.Error);
        Assert.Equal(1, run.Wait().Status);
    }

    [Fact]
    public void Paths_inside_the_root_resolve_symlinks_inside_it_and_never_create_anything_outside()
    {
        var scratch = Directory.CreateTempSubdirectory("srt-native-init-").FullName;
        try
        {
            var root = Directory.CreateDirectory(Path.Combine(scratch, "rootfs")).FullName;
            var outside = Directory.CreateDirectory(Path.Combine(scratch, "outside")).FullName;
            // an image's symlinks: absolute and relative ones that point out of the rootfs
            File.CreateSymbolicLink(Path.Combine(root, "abs"), outside);
            File.CreateSymbolicLink(Path.Combine(root, "rel"), "../../outside");
            var plan = new InitPlan();
            plan.CreateDirectoryInRoot("mounts[0]", root, "/abs/made");
            plan.CreateDirectoryInRoot("mounts[1]", root, "/rel/a/b");
            plan.SymlinkInRoot("device link /dev/fd", root, "/proc/self/fd", "/abs/dev/fd");
            plan.Ready();
            plan.Resolve("sh", ["sh", "-c", "true"], ["PATH=/bin:/usr/bin"], homeOfUid: null);
            plan.Execute();
            using var run = InitRun.Start(plan);

            var reply = run.Channel.Receive();
            Assert.True(reply?.Type == InitMessage.ReadyType, $"{reply?.Type}: {reply?.Error}");
            Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
            Assert.True(Directory.Exists(Path.Combine(root, outside.TrimStart('/'), "made")), "/abs resolves to <root>/<outside>");
            Assert.True(Directory.Exists(Path.Combine(root, "outside", "a", "b")), "../.. stops at the root");
            Assert.Equal("/proc/self/fd", new FileInfo(Path.Combine(root, outside.TrimStart('/'), "dev", "fd")).LinkTarget);
            run.Channel.Socket.Dispose();
            Assert.Equal(1, run.Wait().Status);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    [Fact]
    public void Hooks_read_the_state_on_stdin_with_their_args_and_env_and_a_failing_one_stops_the_plan_naming_itself()
    {
        var scratch = Directory.CreateTempSubdirectory("srt-native-init-").FullName;
        try
        {
            var first = Path.Combine(scratch, "first");
            var never = Path.Combine(scratch, "never");
            var plan = new InitPlan();
            plan.HookState();
            plan.Hook("hooks.createContainer[0]", "/bin/sh", ["sh", "-c", "cat > \"$OUT\"; echo \"$0 $1\" >> \"$OUT\"", "hook-arg0", "one"], [$"OUT={first}"], 5);
            plan.Hook("hooks.createContainer[1]", "/bin/sh", ["sh", "-c", "exit 3"], [], 5);
            plan.Hook("hooks.createContainer[2]", "/bin/sh", ["sh", "-c", $"touch {never}"], [], 5);
            plan.Resolve("sh", ["sh", "-c", "echo ran"], ["PATH=/bin"], homeOfUid: null);
            plan.Execute();
            using var run = InitRun.Start(plan);
            run.Channel.SendRaw("{\"id\":\"c1\",\"pid\":42}"u8.ToArray());

            var error = run.Channel.Receive();
            Assert.Equal(InitMessage.ErrorType, error?.Type);
            Assert.Equal("hooks.createContainer[1]", error!.Step);
            Assert.Equal("hooks.createContainer[1]: /bin/sh failed: exit status 3", error.Error);
            Assert.Equal((1, ""), run.Wait());
            Assert.Equal("{\"id\":\"c1\",\"pid\":42}hook-arg0 one\n", File.ReadAllText(first));
            Assert.False(File.Exists(never));
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    [Fact]
    public void A_hook_that_cannot_start_or_outlives_its_timeout_fails_its_step()
    {
        var missing = new InitPlan();
        missing.HookState();
        missing.Hook("hooks.startContainer[0]", "/nonexistent/hook", ["hook"], [], 5);
        missing.Resolve("sh", ["sh"], ["PATH=/bin"], homeOfUid: null);
        missing.Execute();
        using (var run = InitRun.Start(missing))
        {
            run.Channel.SendRaw("{}"u8.ToArray());
            var error = run.Channel.Receive();
            Assert.Equal("hooks.startContainer[0]", error?.Step);
            Assert.Equal("hooks.startContainer[0]: execve(\"/nonexistent/hook\") (the hook cannot start): ENOENT (No such file or directory)", error!.Error);
            Assert.Equal(1, run.Wait().Status);
        }

        var slow = new InitPlan();
        slow.HookState();
        slow.Hook("hooks.startContainer[0]", "/bin/sleep", ["sleep", "600"], [], 1);
        slow.Resolve("sh", ["sh"], ["PATH=/bin"], homeOfUid: null);
        slow.Execute();
        using (var run = InitRun.Start(slow))
        {
            run.Channel.SendRaw("{}"u8.ToArray());
            var error = run.Channel.Receive(); // the init's own poll on the hook's pidfd ends this, after 1 s
            Assert.Equal("hooks.startContainer[0]: /bin/sleep did not finish within its timeout and was killed", error?.Error);
            Assert.Equal(1, run.Wait().Status);
        }
    }

    private static string Compile()
    {
        var source = Path.Combine(AppContext.BaseDirectory, "sandboxrt-init.c");
        var output = Path.Combine(AppContext.BaseDirectory, "sandboxrt-init-test"); // build output, not /tmp
        using var gcc = System.Diagnostics.Process.Start(new ProcessStartInfo("gcc", ["-O2", "-Wall", "-Werror", "-Wno-format-truncation", "-o", output, source])
        {
            RedirectStandardError = true,
        })!;
        var errors = gcc.StandardError.ReadToEnd();
        gcc.WaitForExit();
        Assert.True(gcc.ExitCode == 0, $"gcc failed on {source}:\n{errors}");
        return output;
    }

    /// <summary>One sandboxrt-init process: the init socket as fd 3, stdout into a pipe, stdin and stderr /dev/null.</summary>
    private sealed class InitRun : IDisposable
    {
        private readonly int _pid;
        private readonly SafeFdHandle _stdout;

        private InitRun(int pid, InitChannel channel, SafeFdHandle stdout)
        {
            _pid = pid;
            Channel = channel;
            _stdout = stdout;
        }

        public InitChannel Channel { get; }

        public static InitRun Start(InitPlan plan) => Start(plan.ToArray());

        public static InitRun Start(byte[] plan)
        {
            var (parent, child) = FdPassingSocket.CreatePair();
            var (read, write) = Pipes.Create();
            using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
            int pid;
            using (child)
            using (write)
                pid = ProcessSpawner.Spawn(new SpawnOptions
                {
                    Path = Program.Value,
                    Arguments = [NativeInit.FileName],
                    Environment = [],
                    Descriptors = [(devNull, 0), (write, 1), (devNull, 2), (child, NativeInit.SocketFd)],
                });
            FdPassingSocket.Send(parent, plan);
            return new InitRun(pid, new InitChannel(parent), read);
        }

        /// <summary>Its exit status and everything it wrote to stdout.</summary>
        public (int Status, string Stdout) Wait()
        {
            using var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(_stdout.DangerousGetHandle(), ownsHandle: false), FileAccess.Read);
            var output = new StreamReader(stream).ReadToEnd();
            ChildProcesses.TryWait(_pid, block: true, out _, out var status);
            return (status.ShellStatus, output);
        }

        public void Dispose()
        {
            ChildProcesses.Signal(_pid, 9);
            ChildProcesses.TryWait(_pid, block: false, out _, out _);
            Channel.Dispose();
            _stdout.Dispose();
        }
    }
}
