using SandboxRt.Bench;
using SandboxRt.Runtime.Configuration;

// make bench: dotnet run --project bench/SandboxRt.Bench -- --runs N --out DIR
int runs = 7;
string outDir = "bench/results";
string[]? only = Environment.GetEnvironmentVariable("BENCH_ONLY") is { Length: > 0 } o ? o.Split(',') : null; // sections: boot, run, clients, network
bool Wanted(string section) => only is null || only.Contains(section);
string guestDir = Environment.GetEnvironmentVariable("SANDBOXRT_GUEST_DIR") ?? "/usr/share/sandboxrt";
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--runs": runs = int.Parse(args[++i]); break;
        case "--out": outDir = args[++i]; break;
        case "--only": only = [.. args[++i].Split(',')]; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

var repo = FindRepoRoot();
var repoConfig = Path.Combine(repo, "hypervisor-configs", "qemu.json");
var kernel = Path.Combine(guestDir, "vmlinux");
var initrd = Path.Combine(guestDir, "initramfs.img");
var config = HypervisorConfigLoader.Load(repoConfig, new Dictionary<string, string> { ["kernel"] = kernel, ["initrd"] = initrd });
var stateRoot = Path.Combine("/run/sandboxrt-bench", Environment.ProcessId.ToString());
Directory.CreateDirectory(stateRoot);
var report = new Report(runs);

var boot = new BootBenchmark(config, Path.Combine(guestDir, "floor-initramfs.img"), stateRoot);
if (Wanted("boot"))
{
    Console.Error.WriteLine($"boot: {runs} interleaved runs of the bare-VM floor and a sandbox (machine {config.MachineType}, TCG unless KVM is usable)");
    await boot.RunAsync(runs);
    report.Add(boot.Floor, "ms");
    report.Add(boot.Agent, "ms");
    report.Add(boot.FloorGuestUptime, "ms");
    report.Add(boot.AgentGuestServing, "ms");
    report.Ratio("sandbox boot / bare-VM floor", boot.Agent, boot.Floor);
}

var bundle = Path.Combine(repo, "out", "bundles", "bench-true");
var sandboxrt = Path.Combine(repo, "out", "bin", "sandboxrt");
if (!Wanted("run"))
{
}
else if (File.Exists(sandboxrt) && File.Exists(Path.Combine(bundle, "config.json")))
{
    Console.Error.WriteLine($"run: {runs} interleaved runs of the floor, sandboxrt run and runc run of {bundle}");
    var floor = new BootBenchmark(config, Path.Combine(guestDir, "floor-initramfs.img"), stateRoot);
    var run = new RunBenchmark(sandboxrt, repoConfig, kernel, initrd, bundle, floor);
    await run.RunAsync(runs);
    report.Add(floor.Floor, "ms");
    report.Add(run.Sandboxrt, "ms");
    report.Add(run.Runc, "ms");
    report.Ratio("sandboxrt run / bare-VM floor", run.Sandboxrt, floor.Floor);
    report.Ratio("sandboxrt run / runc run", run.Sandboxrt, run.Runc);
}
else
{
    Console.Error.WriteLine($"run: skipped ({sandboxrt} or {bundle}/config.json missing: make build bench-bundle)");
}
if (!Wanted("clients"))
{
}
else if (File.Exists(sandboxrt) && Directory.Exists(Path.Combine(bundle, "rootfs")) && File.Exists("/usr/sbin/dockerd"))
{
    Console.Error.WriteLine($"clients: {runs} interleaved runs of docker and ctr with runc and with sandboxrt");
    await using var daemons = new ClientDaemons();
    await daemons.StartAsync(sandboxrt, Path.Combine(bundle, "rootfs"));
    var clients = new ClientBenchmark(daemons, sandboxrt);
    await clients.RunAsync(runs);
    report.Add(clients.DockerRunc, "ms");
    report.Add(clients.DockerSandboxrt, "ms");
    report.Add(clients.CtrRunc, "ms");
    report.Add(clients.CtrSandboxrt, "ms");
    report.Add(clients.CtrShimV2, "ms");
    report.Add(clients.PodPss, "MiB");
    report.Ratio("docker run: sandboxrt / runc", clients.DockerSandboxrt, clients.DockerRunc);
    report.Ratio("ctr run: sandboxrt / runc", clients.CtrSandboxrt, clients.CtrRunc);
    report.Ratio("ctr run: shim v2 / runc", clients.CtrShimV2, clients.CtrRunc);
    report.Ratio("ctr run: shim v2 / bare-VM floor", clients.CtrShimV2, boot.Floor);
}
else
{
    Console.Error.WriteLine("clients: skipped (needs make build bench-bundle and docker.io/containerd)");
}
var netBundle = Path.Combine(repo, "out", "bundles", "bench-net");
if (!Wanted("network"))
{
}
else if (File.Exists(sandboxrt) && File.Exists(Path.Combine(netBundle, "config.json")) && File.Exists("/usr/sbin/runc"))
{
    int mebibytes = Environment.GetEnvironmentVariable("BENCH_QUICK") is { Length: > 0 } ? 16 : 64;
    Console.Error.WriteLine($"network: {runs} alternating runs of a TCP echo and a {mebibytes} MiB transfer from a peer namespace to a container in a pod namespace, runc and sandboxrt");
    var network = new NetworkBenchmark(sandboxrt, ["--root", "/run/sandboxrt-bench", "--config", repoConfig, "--config-option", $"kernel={kernel}", "--config-option", $"initrd={initrd}"],
        netBundle, mebibytes);
    await network.RunAsync(runs);
    report.Add(network.RuncRoundTrip, "us");
    report.Add(network.SandboxrtRoundTrip, "us");
    report.Add(network.RuncThroughput, "MiB/s");
    report.Add(network.SandboxrtThroughput, "MiB/s");
    report.Ratio("TCP round trip: sandboxrt / runc", network.SandboxrtRoundTrip, network.RuncRoundTrip);
    report.Ratio("TCP throughput: sandboxrt / runc", network.SandboxrtThroughput, network.RuncThroughput);
}
else
{
    Console.Error.WriteLine("network: skipped (needs make build bench-bundle and runc)");
}
Directory.Delete(stateRoot, recursive: true);

report.Print(Console.Out);
Directory.CreateDirectory(outDir);
File.WriteAllText(Path.Combine(outDir, "latest.json"), report.ToJson().ToJsonString(new() { WriteIndented = true }));
File.WriteAllText(Path.Combine(outDir, "latest.md"), report.ToMarkdown());
Console.Error.WriteLine($"wrote {Path.Combine(outDir, "latest.json")} and latest.md");
return report.Failures == 0 ? 0 : 1;

static string FindRepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "SandboxRt.sln")))
            return dir.FullName;
    return Directory.GetCurrentDirectory();
}
