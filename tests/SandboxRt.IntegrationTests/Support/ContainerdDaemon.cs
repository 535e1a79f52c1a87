using System.Diagnostics;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>
/// A containerd of the test's own (root, state and sockets under a scratch directory, the CRI plugin off),
/// started by the test and stopped by pid, with the test image imported.
/// </summary>
public sealed class ContainerdDaemon : IAsyncLifetime
{
    private readonly ScratchDirectory _dir = new("srt-ctrd");
    private readonly string? _networkNamespace;
    private Process? _process;

    public ContainerdDaemon()
    {
    }

    /// <param name="networkNamespace">A network namespace of the test's (/run/netns/NAME) that containerd, its shims and the runtimes they start run in.</param>
    internal ContainerdDaemon(string? networkNamespace) => _networkNamespace = networkNamespace;

    public string Socket => _dir.Combine("containerd.sock");
    public string Root => _dir.Combine("root");
    public string State => _dir.Combine("state");
    public string? SkipReason { get; private set; }

    /// <summary>A path in the daemon's scratch directory (removed with it).</summary>
    public string ScratchPath(string name) => _dir.Combine(name);

    public async ValueTask InitializeAsync()
    {
        if (TestEnvironment.FindOnPath("containerd") is null || TestEnvironment.FindOnPath("ctr") is null)
        {
            SkipReason = "needs containerd and ctr (apt-get install containerd)";
            return;
        }
        File.WriteAllText(_dir.Combine("config.toml"), $"""
            version = 2
            root = "{Root}"
            state = "{State}"
            disabled_plugins = ["io.containerd.grpc.v1.cri"]
            [grpc]
              address = "{Socket}"
            [ttrpc]
              address = "{Socket}.ttrpc"
            [debug]
              address = "{_dir.Combine("debug.sock")}"
            """);
        await LaunchAsync();
        (await Ctr("images", "import", "--all-platforms", await LocalImage.ArchiveAsync())).Ok();
    }

    /// <summary>kill -9 of containerd, then a new containerd on the same root, state and sockets (its shims live on).</summary>
    public async Task RestartAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        File.Delete(Socket);
        await LaunchAsync();
    }

    private async Task LaunchAsync()
    {
        var log = new FileStream(_dir.Combine("containerd.log"), FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        // nsenter execs containerd after setns: the pid is containerd's (not `ip netns exec`, which remounts /sys)
        var start = _networkNamespace is null
            ? new ProcessStartInfo("containerd", ["--config", _dir.Combine("config.toml")])
            : new ProcessStartInfo("nsenter", ["--net=" + _networkNamespace, "containerd", "--config", _dir.Combine("config.toml")]);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        // containerd finds shim v2 binaries (containerd-shim-sandboxrt-v2) on its PATH, but first in its
        // working directory: the test's (its build output) holds a JIT build of the shim, which would run
        // instead of the NativeAOT one under test
        start.Environment["PATH"] = Path.GetDirectoryName(CliRun.Binary) + ":" + Environment.GetEnvironmentVariable("PATH");
        start.WorkingDirectory = _dir.Path;
        _process = Process.Start(start)!;
        _ = _process.StandardError.BaseStream.CopyToAsync(log);
        for (int i = 0; i < 200 && !File.Exists(Socket); i++)
            await Task.Delay(50);
        if (!File.Exists(Socket))
            throw new InvalidOperationException($"containerd did not create {Socket}");
    }

    public void RequireRunning()
    {
        if (SkipReason is not null)
            TestEnvironment.Skip(SkipReason);
    }

    public Task<Command> Ctr(params string[] args) => Command.RunAsync("ctr", ["-a", Socket, .. args]);

    public Task<Command> CtrWithInput(string stdin, params string[] args) => Command.RunAsync("ctr", ["-a", Socket, .. args], stdin);

    /// <summary>containerd's log so far (the shims' logs are copied into it).</summary>
    public string Log
    {
        get
        {
            using var stream = new FileStream(_dir.Combine("containerd.log"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(stream).ReadToEnd();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        // the runc shims of deleted tasks exit on their own; any left (a failed test) are stopped here
        foreach (var pid in ProcessTable.Find("-address " + Socket))
            SandboxRt.Interop.ChildProcesses.Signal(pid, 9);
        HostLeaks.KillEverythingUnder(_dir.Path);
        RemoveShimDirectories();
        _process?.Dispose();
        _dir.Dispose();
    }

    /// <summary>
    /// The directories under /run/sandboxrt/shim of pods whose shim a failed test left behind (their
    /// pod.json names this daemon's state): processes killed, mounts detached, then removed.
    /// </summary>
    private void RemoveShimDirectories()
    {
        const string root = "/run/sandboxrt/shim";
        if (!Directory.Exists(root))
            return;
        foreach (var dir in Directory.EnumerateDirectories(root))
        {
            var record = Path.Combine(dir, "pod.json");
            if (!File.Exists(record) || !File.ReadAllText(record).Contains(_dir.Path, StringComparison.Ordinal))
                continue;
            HostLeaks.KillEverythingUnder(dir);
            if (File.ReadAllLines("/proc/self/mountinfo").Any(l => l.Split(' ')[4].StartsWith(dir, StringComparison.Ordinal)))
                continue; // still mounted: never delete through a mount
            Directory.Delete(dir, recursive: true);
        }
    }
}
