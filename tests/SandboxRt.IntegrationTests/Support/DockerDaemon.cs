using System.Diagnostics;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>
/// dockerd 20.10 of the test's own: its data-root, exec-root, pidfile and socket under a scratch
/// directory, its own containerd, no bridge, no iptables, no forwarding or masquerading (the network
/// rule), and SandboxRt registered as "kata-runtime" by path in daemon.json, booting the test's guest
/// image ($SANDBOXRT_GUEST_DIR, as CliRun does). Stopped by pid.
/// A bridged daemon (<see cref="BridgedDockerDaemon"/>) runs with containerd in a network namespace
/// the fixture makes, with Docker's default bridge, iptables and docker-proxy, all inside it.
/// </summary>
public class DockerDaemon : IAsyncLifetime
{
    public const string Runtime = "kata-runtime";
    /// <summary>SandboxRt again, with a VM cache of one (vm_cache_number=1).</summary>
    public const string CachedRuntime = "kata-runtime-vm-cache";
    private readonly ContainerdDaemon _containerd;
    private readonly ScratchDirectory _dir = new("srt-dockerd");
    private Process? _process;

    public DockerDaemon() : this(null)
    {
    }

    /// <param name="networkNamespace">Name of a network namespace to make (/run/netns/NAME) and run containerd and dockerd in, with Docker's bridge; null: the host's, no bridge.</param>
    protected DockerDaemon(string? networkNamespace)
    {
        NetworkNamespace = networkNamespace;
        _containerd = new ContainerdDaemon(NetworkNamespacePath);
    }

    /// <summary>The namespace dockerd runs in, or null for the host's.</summary>
    public string? NetworkNamespace { get; }
    public string? NetworkNamespacePath => NetworkNamespace is null ? null : "/run/netns/" + NetworkNamespace;

    public string Socket => _dir.Combine("docker.sock");
    public string ExecRoot => _dir.Combine("exec");
    /// <summary>dockerd's data-root (/var/lib/docker): image layers and containers' overlay mounts.</summary>
    public string DataRoot => _dir.Combine("data");
    public string? SkipReason { get; private set; }

    /// <summary>True: daemon.json makes SandboxRt Docker's "default-runtime", so `docker run` needs no --runtime.</summary>
    protected virtual bool IsDefaultRuntime => false;

    public async ValueTask InitializeAsync()
    {
        if (TestEnvironment.FindOnPath("dockerd") is null && !File.Exists("/usr/sbin/dockerd"))
        {
            SkipReason = "needs dockerd (apt-get install docker.io)";
            return;
        }
        if (!File.Exists(CliRun.Binary))
        {
            SkipReason = $"needs the sandboxrt CLI (make build): {CliRun.Binary}";
            return;
        }
        if (NetworkNamespace is not null)
        {
            TestEnvironment.RequireFile("/usr/sbin/ip", "iproute2");
            (await Command.RunAsync("/usr/sbin/ip", ["netns", "add", NetworkNamespace])).Ok();
            (await Command.RunAsync("/usr/sbin/ip", ["-n", NetworkNamespace, "link", "set", "lo", "up"])).Ok();
        }
        await _containerd.InitializeAsync();
        if (_containerd.SkipReason is not null)
        {
            SkipReason = _containerd.SkipReason;
            return;
        }
        // In the test's namespace dockerd keeps its defaults (docker0, iptables, forwarding, masquerading):
        // all of it lives and dies with that namespace.
        var network = NetworkNamespace is not null ? "" : """
            "bridge": "none", "iptables": false, "ip6tables": false, "ip-forward": false, "ip-masq": false,
            """;
        File.WriteAllText(_dir.Combine("daemon.json"), $$"""
            {
              "data-root": "{{DataRoot}}",
              "exec-root": "{{ExecRoot}}",
              "pidfile": "{{_dir.Combine("docker.pid")}}",
              "hosts": ["unix://{{Socket}}"],
              "containerd": "{{_containerd.Socket}}",
              {{network}}
              {{(IsDefaultRuntime ? $"\"default-runtime\": \"{Runtime}\"," : "")}}
              "runtimes": { "{{Runtime}}": { "path": "{{CliRun.ClientBinary}}",
                "runtimeArgs": ["--config-option", "kernel={{TestEnvironment.Kernel}}", "--config-option", "initrd={{TestEnvironment.Initrd}}", "--config-option", "image={{TestEnvironment.Image}}"] },
                "{{CachedRuntime}}": { "path": "{{CliRun.ClientBinary}}",
                "runtimeArgs": ["--config-option", "kernel={{TestEnvironment.Kernel}}", "--config-option", "initrd={{TestEnvironment.Initrd}}", "--config-option", "image={{TestEnvironment.Image}}",
                  "--config-option", "vm_cache_number=1"] } }
            }
            """);
        var log = File.Create(_dir.Combine("dockerd.log"));
        var dockerd = File.Exists("/usr/sbin/dockerd") ? "/usr/sbin/dockerd" : "dockerd";
        // nsenter, not `ip netns exec`: that remounts /sys, hiding the cgroup mounts dockerd needs
        _process = Process.Start(new ProcessStartInfo(NetworkNamespace is null ? dockerd : "nsenter",
            NetworkNamespace is null ? ["--config-file", _dir.Combine("daemon.json")] : ["--net=" + NetworkNamespacePath, dockerd, "--config-file", _dir.Combine("daemon.json")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _ = _process.StandardError.BaseStream.CopyToAsync(log);
        for (int i = 0; i < 300; i++)
        {
            if (File.Exists(Socket) && (await Docker("version")).ExitCode == 0)
                break;
            await Task.Delay(100);
        }
        (await Docker("load", "-i", await LocalImage.ArchiveAsync())).Ok();
    }

    public void RequireRunning()
    {
        TestEnvironment.RequireVmPrerequisites();
        if (SkipReason is not null)
            TestEnvironment.Skip(SkipReason);
    }

    public Task<Command> Docker(params string[] args) => Command.RunAsync("docker", ["-H", "unix://" + Socket, .. args]);

    /// <summary>`docker run --rm --network none --runtime kata-runtime IMAGE ...`.</summary>
    public Task<Command> Run(params string[] args) =>
        Docker(["run", "--rm", "--network", "none", "--runtime", Runtime, LocalImage.Reference, .. args]);

    /// <summary>The runtime's log of container <paramref name="id"/> (containerd's runc shim gives `--log` this file; the relay logs there).</summary>
    public string RuntimeLog(string id) => Path.Combine(_containerd.State, "io.containerd.runtime.v2.task", "moby", id, "log.json");

    /// <summary>The --root Docker 20.10 gives every runc-compatible runtime.</summary>
    public string RuntimeRoot => Path.Combine(ExecRoot, "runtime-runc", "moby");

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            var ids = (await Docker("ps", "-aq")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (ids.Length > 0)
                await Docker(["rm", "-f", .. ids]);
            if (NetworkNamespace is not null)
            {
                // SIGTERM: dockerd takes down its bridge, iptables rules and netns mounts itself
                SandboxRt.Interop.ChildProcesses.Signal(_process.Id, 15);
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                try
                {
                    await _process.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
            if (!_process.HasExited)
                _process.Kill();
            await _process.WaitForExitAsync();
        }
        await _containerd.DisposeAsync();
        if (NetworkNamespace is not null && File.Exists(NetworkNamespacePath))
            await Command.RunAsync("/usr/sbin/ip", ["netns", "delete", NetworkNamespace]);
        HostLeaks.KillEverythingUnder(_dir.Path);
        _process?.Dispose();
        _dir.Dispose();
    }
}
