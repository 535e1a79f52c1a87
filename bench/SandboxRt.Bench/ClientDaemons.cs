using System.Diagnostics;

namespace SandboxRt.Bench;

/// <summary>
/// containerd and dockerd of the benchmark's own (scratch roots), with SandboxRt registered as
/// "kata-runtime" (and, with a VM cache, as "kata-runtime-vm-cache") and the benchmark image loaded. Both run in a network namespace the benchmark makes
/// (srt-bench-PID), so Docker's default bridge, its iptables rules and docker-proxy live only there and go
/// with it (the network rule: nothing reaches the host's own network). Stopped by pid.
/// </summary>
internal sealed class ClientDaemons : IAsyncDisposable
{
    public const string Image = "localhost/sandboxrt-bench:latest";
    private readonly string _dir = Path.Combine("/tmp", "srt-bench-" + Environment.ProcessId);
    private readonly List<Process> _daemons = new();
    private readonly string _namespace = "srt-bench-" + Environment.ProcessId;

    public string ContainerdSocket => Path.Combine(_dir, "containerd.sock");
    public string DockerSocket => Path.Combine(_dir, "docker.sock");

    /// <summary>SandboxRt again, with a VM cache of one (vm_cache_number=1).</summary>
    public const string CachedRuntime = "kata-runtime-vm-cache";

    /// <summary>The --root Docker 20.10 gives every runc-compatible runtime.</summary>
    public string DockerRuntimeRoot => Path.Combine(_dir, "docker-exec", "runtime-runc", "moby");

    public async Task StartAsync(string sandboxrt, string rootfs)
    {
        Directory.CreateDirectory(_dir);
        await Must("ip", "netns", "add", _namespace);
        await Must("ip", "-n", _namespace, "link", "set", "lo", "up");
        File.WriteAllText(Path.Combine(_dir, "containerd.toml"), $"""
            version = 2
            root = "{_dir}/ctrd-root"
            state = "{_dir}/ctrd-state"
            disabled_plugins = ["io.containerd.grpc.v1.cri"]
            [grpc]
              address = "{ContainerdSocket}"
            [ttrpc]
              address = "{ContainerdSocket}.ttrpc"
            [debug]
              address = "{_dir}/ctrd-debug.sock"
            """);
        // containerd finds containerd-shim-sandboxrt-v2 beside the CLI
        _daemons.Add(Start("containerd", ["--config", Path.Combine(_dir, "containerd.toml")], ("PATH", Path.GetDirectoryName(sandboxrt) + ":" + Environment.GetEnvironmentVariable("PATH"))));
        await WaitForAsync(ContainerdSocket);
        File.WriteAllText(Path.Combine(_dir, "daemon.json"), $$"""
            { "data-root": "{{_dir}}/docker-data", "exec-root": "{{_dir}}/docker-exec", "pidfile": "{{_dir}}/docker.pid",
              "hosts": ["unix://{{DockerSocket}}"], "containerd": "{{ContainerdSocket}}",
              "runtimes": { "kata-runtime": { "path": "{{sandboxrt}}" },
                "{{CachedRuntime}}": { "path": "{{sandboxrt}}", "runtimeArgs": ["--config-option", "vm_cache_number=1"] } } }
            """);
        _daemons.Add(Start("/usr/sbin/dockerd", "--config-file", Path.Combine(_dir, "daemon.json")));
        await WaitForAsync(DockerSocket);
        for (int i = 0; i < 100 && (await Shell.RunAsync("docker", "-H", "unix://" + DockerSocket, "version")).Exit != 0; i++)
            await Task.Delay(100);

        var layout = Path.Combine(_dir, "oci");
        await Must("umoci", "init", "--layout", layout);
        await Must("umoci", "new", "--image", layout + ":img");
        await Must("umoci", "unpack", "--image", layout + ":img", Path.Combine(_dir, "unpacked"));
        await Must("cp", "-a", rootfs + "/.", Path.Combine(_dir, "unpacked", "rootfs"));
        await Must("umoci", "repack", "--image", layout + ":img", Path.Combine(_dir, "unpacked"));
        var archive = Path.Combine(_dir, "image.tar");
        await Must("skopeo", "copy", "-q", $"oci:{layout}:img", $"docker-archive:{archive}:{Image}");
        await Must("ctr", "-a", ContainerdSocket, "images", "import", archive);
        await Must("docker", "-H", "unix://" + DockerSocket, "load", "-i", archive);
    }

    private Process Start(string file, params string[] args) => Start(file, args, null);

    /// <summary>Starts a daemon in the benchmark's namespace (nsenter, not `ip netns exec`: that remounts /sys, hiding the cgroup mounts dockerd needs).</summary>
    private Process Start(string file, string[] args, (string Name, string Value)? variable)
    {
        var info = new ProcessStartInfo("nsenter", ["--net=/run/netns/" + _namespace, file, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (variable is { } v)
            info.Environment[v.Name] = v.Value;
        return Process.Start(info) is { } p ? Drain(p) : throw new InvalidOperationException($"cannot start {file}");
    }

    private static Process Drain(Process p)
    {
        _ = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        return p;
    }

    private static async Task WaitForAsync(string path)
    {
        for (int i = 0; i < 300 && !File.Exists(path); i++)
            await Task.Delay(50);
        if (!File.Exists(path))
            throw new InvalidOperationException($"{path} did not appear");
    }

    private static async Task Must(string file, params string[] args)
    {
        var result = await Shell.RunAsync(file, args);
        if (result.Exit != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {result.Output}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var daemon in Enumerable.Reverse(_daemons))
        {
            if (!daemon.HasExited)
            {
                // SIGTERM first: dockerd takes down its bridge, iptables rules and netns mounts itself
                Process.Start("kill", ["-TERM", daemon.Id.ToString()])?.WaitForExit();
                if (!daemon.WaitForExit(TimeSpan.FromSeconds(20)))
                    daemon.Kill();
                await daemon.WaitForExitAsync();
            }
        }
        await Shell.RunAsync("ip", "netns", "delete", _namespace);
        foreach (var mount in File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(m => m.StartsWith(_dir)).OrderByDescending(m => m.Length))
            await Shell.RunAsync("umount", "-l", mount);
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
