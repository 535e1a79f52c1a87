using SandboxRt.Bench;
using SandboxRt.Runtime.Configuration;

// make bench: dotnet run --project bench/SandboxRt.Bench -- [--runs N] [--quick] [--only boot,run,...] [--out DIR]
// Sections run in this order; each prints its progress on stderr, and the table comes at the end.
string[] sections = ["boot", "run", "clients", "exec", "clones", "io", "network", "density", "pods"];
bool quick = Environment.GetEnvironmentVariable("BENCH_QUICK") is { Length: > 0 } q && q != "0";
int runs = quick ? 2 : 7; // quick: a smoke run under 5 minutes; the full run is the one to quote
string outDir = "bench/results";
string[] only = Environment.GetEnvironmentVariable("BENCH_ONLY") is { Length: > 0 } o ? o.Split(',') : sections;
string guestDir = Environment.GetEnvironmentVariable("SANDBOXRT_GUEST_DIR") ?? "/usr/share/sandboxrt";
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--runs": runs = int.Parse(args[++i]); break;
        case "--quick": quick = true; break;
        case "--out": outDir = args[++i]; break;
        case "--only": only = args[++i].Split(','); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}
if (only.Except(sections).FirstOrDefault() is { } unknown)
{
    Console.Error.WriteLine($"unknown section {unknown} (sections: {string.Join(", ", sections)})");
    return 2;
}

var repo = FindRepoRoot();
var repoConfig = Path.Combine(repo, "hypervisor-configs", "qemu.json");
var kernel = Path.Combine(guestDir, "vmlinux");
var initrd = Path.Combine(guestDir, "initramfs.img");
// the guest's read-only root image where the guest image has one (our own kernel's), as qemu.json boots it
var image = File.Exists(Path.Combine(guestDir, "rootfs.img")) ? Path.Combine(guestDir, "rootfs.img") : "";
var config = HypervisorConfigLoader.Load(repoConfig, new Dictionary<string, string>
{
    ["kernel"] = kernel,
    ["initrd"] = initrd,
    ["image"] = image,
    ["jailer_path"] = Path.Combine(repo, "out", "bin", "sandboxrt-jailer"), // the in-process floor starts QEMU as the CLI does
});
var stateRoot = Path.Combine(RuntimeCli.StateRoot, Environment.ProcessId.ToString());
Directory.CreateDirectory(stateRoot);
var report = new Report(runs, quick);
var sandboxrtBinary = Path.Combine(repo, "out", "bin", "sandboxrt");
var sandboxrt = RuntimeCli.Sandboxrt(sandboxrtBinary, repoConfig, kernel, initrd, image);
string Bundle(string name) => Path.Combine(repo, "out", "bundles", name);
bool Ready(string section, params string[] needs)
{
    if (!only.Contains(section))
        return false;
    var missing = needs.Where(n => !File.Exists(n)).ToList();
    if (missing.Count == 0)
        return true;
    Console.Error.WriteLine($"{section}: skipped, missing {string.Join(", ", missing)} (make build bench-bundle; apt packages from make deps)");
    report.Note($"{section}: skipped, missing {string.Join(", ", missing)}");
    return false;
}

var floorInitrd = Path.Combine(guestDir, "floor-initramfs.img");
var boot = new BootBenchmark(config, floorInitrd, stateRoot);
if (Ready("boot", floorInitrd))
{
    Console.Error.WriteLine($"boot: {runs} interleaved runs of the bare-VM floor and a sandbox (machine {config.Qemu.MachineType}, TCG unless KVM is usable)");
    await boot.RunAsync(runs);
    report.Add(boot.Floor, "ms");
    report.Add(boot.Agent, "ms");
    report.Add(boot.FloorGuestUptime, "ms");
    report.Add(boot.AgentGuestServing, "ms");
    report.Ratio("sandbox boot / bare-VM floor", boot.Agent, boot.Floor);
    // The floor of Debian's packaged kernel (build.sh installs it under debian/ beside the default
    // image): how far our own kernel lowered the floor, same QEMU flags, same one-line init.
    var debianDir = Path.Combine(guestDir, "debian");
    if (File.Exists(Path.Combine(debianDir, "floor-initramfs.img")) && Path.GetFullPath(new FileInfo(kernel).ResolveLinkTarget(true)?.FullName ?? kernel) !=
        Path.GetFullPath(new FileInfo(Path.Combine(debianDir, "vmlinux")).ResolveLinkTarget(true)?.FullName ?? ""))
    {
        var debianConfig = config with { Kernel = Path.Combine(debianDir, "vmlinux"), Initrd = Path.Combine(debianDir, "initramfs.img"), Image = "" };
        var debian = new BootBenchmark(debianConfig, Path.Combine(debianDir, "floor-initramfs.img"), stateRoot, "Debian");
        Console.Error.WriteLine($"boot: {runs} runs of the bare-VM floor with Debian's packaged kernel ({debianDir})");
        for (int i = 0; i < runs; i++)
            await debian.RunFloorAsync(2000 + i);
        report.Add(debian.Floor, "ms");
        report.Add(debian.FloorGuestUptime, "ms");
        report.Ratio("bare-VM floor: installed kernel / Debian kernel", boot.Floor, debian.Floor);
    }
}

if (Ready("run", sandboxrtBinary, Path.Combine(Bundle("bench-true"), "config.json"), "/usr/sbin/runc", floorInitrd))
{
    Console.Error.WriteLine($"run: {runs} interleaved runs of the floor, sandboxrt run --timings and runc run of {Bundle("bench-true")}");
    var floor = new BootBenchmark(config, floorInitrd, stateRoot);
    var run = new RunBenchmark(sandboxrt, Bundle("bench-true"), floor);
    await run.RunAsync(runs);
    report.Add(floor.Floor, "ms");
    report.Add(run.Sandboxrt, "ms");
    report.Add(run.Runc, "ms");
    report.Add(run.Cold, "ms");
    foreach (var phase in run.Breakdown)
        report.Add(phase, "ms");
    report.Ratio("sandboxrt run / bare-VM floor", run.Sandboxrt, floor.Floor);
    report.Ratio("sandboxrt run / runc run", run.Sandboxrt, run.Runc);
    report.Ratio("sandboxrt run, warm (template) / cold boot", run.Sandboxrt, run.Cold);
}

if (Ready("clients", sandboxrtBinary, Path.Combine(Bundle("bench-true"), "config.json"), "/usr/sbin/dockerd", "/usr/bin/containerd"))
{
    Console.Error.WriteLine($"clients: {runs} interleaved runs of docker and ctr with runc and with sandboxrt");
    await using var daemons = new ClientDaemons();
    await daemons.StartAsync(sandboxrtBinary, Path.Combine(Bundle("bench-true"), "rootfs"));
    var clients = new ClientBenchmark(daemons, sandboxrtBinary);
    await clients.RunAsync(runs);
    report.Add(clients.DockerRunc, "ms");
    report.Add(clients.DockerSandboxrt, "ms");
    report.Add(clients.DockerBridgeRunc, "ms");
    report.Add(clients.DockerBridgeSandboxrt, "ms");
    report.Add(clients.DockerCached, "ms");
    report.Add(clients.DockerBridgeCached, "ms");
    report.Add(clients.CtrRunc, "ms");
    report.Add(clients.CtrSandboxrt, "ms");
    report.Add(clients.CtrShimV2, "ms");
    report.Add(clients.CtrShimV2Cached, "ms");
    report.Add(clients.PodPss, "MiB");
    report.Add(clients.ShimPss, "MiB");
    report.Ratio("docker run: sandboxrt / runc", clients.DockerSandboxrt, clients.DockerRunc);
    report.Ratio("docker run, default bridge: sandboxrt / runc", clients.DockerBridgeSandboxrt, clients.DockerBridgeRunc);
    report.Ratio("docker run: sandboxrt with a VM cache / runc", clients.DockerCached, clients.DockerRunc);
    report.Ratio("docker run, default bridge: sandboxrt with a VM cache / runc", clients.DockerBridgeCached, clients.DockerBridgeRunc);
    report.Ratio("ctr run: sandboxrt / runc", clients.CtrSandboxrt, clients.CtrRunc);
    report.Ratio("ctr run: shim v2 / runc", clients.CtrShimV2, clients.CtrRunc);
    report.Ratio("ctr run: shim v2 with a VM cache / runc", clients.CtrShimV2Cached, clients.CtrRunc);
    if (boot.Floor.Values.Count > 0)
        report.Ratio("ctr run: shim v2 / bare-VM floor", clients.CtrShimV2, boot.Floor);
}

if (Ready("exec", sandboxrtBinary, Path.Combine(Bundle("bench-idle"), "config.json"), Path.Combine(Bundle("bench-true"), "config.json"), "/usr/sbin/runc"))
{
    int execs = quick ? 10 : 30;
    Console.Error.WriteLine($"exec: {execs} alternating execs of /bin/true into a running container, sandboxrt and runc");
    var exec = new ExecBenchmark(sandboxrt, Bundle("bench-idle"));
    var second = new SecondContainerBenchmark(sandboxrt, Bundle("bench-true"));
    await exec.RunAsync(execs, relay =>
    {
        Console.Error.WriteLine($"exec: {runs} alternating create + start of /bin/true, as a 2nd container of that sandbox and in a new one");
        return second.RunAsync(runs, relay);
    });
    report.Add(exec.Sandboxrt, "ms");
    report.Add(exec.Runc, "ms");
    report.Add(exec.RelayPss, "MiB");
    report.Ratio("exec: sandboxrt / runc", exec.Sandboxrt, exec.Runc);
    report.Add(second.Joined, "ms");
    report.Add(second.Fresh, "ms");
    report.Ratio("create + start: a 2nd container in a running VM / a new sandbox", second.Joined, second.Fresh);
}

if (Ready("clones", sandboxrtBinary, Path.Combine(Bundle("bench-entropy"), "config.json")))
{
    Console.Error.WriteLine($"clones: {CloneEntropyBenchmark.Clones} sandboxrt runs, each a clone of one VM template, read 32 bytes of /dev/urandom, their boot_id and clock");
    var clones = new CloneEntropyBenchmark(sandboxrt, Bundle("bench-entropy"));
    await clones.RunAsync();
    report.Add(clones.Distinct, "clones");
    report.Add(clones.ClockOffset, "ms");
    foreach (var note in clones.Notes)
        report.Note(note);
}

if (Ready("io", Path.Combine(Bundle("bench-true"), "config.json")))
{
    int mebibytes = quick ? 32 : 256;
    Console.Error.WriteLine($"io: {runs} alternating transfers of {mebibytes} MiB from the guest: a container's stdout, and the agent's own stream");
    var io = new IoBenchmark(config, stateRoot, Bundle("bench-true"), mebibytes);
    await io.RunAsync(runs);
    report.Add(io.Container, "MiB/s");
    report.Add(io.Raw, "MiB/s");
    report.Ratio("stdout throughput: container / agent-generated", io.Container, io.Raw);
}

if (Ready("network", sandboxrtBinary, Path.Combine(Bundle("bench-net"), "config.json"), "/usr/sbin/runc"))
{
    int mebibytes = quick ? 16 : 64;
    Console.Error.WriteLine($"network: {runs} alternating runs of a TCP echo and a {mebibytes} MiB transfer from a peer namespace to a container in a pod namespace, runc and sandboxrt");
    var network = new NetworkBenchmark(sandboxrt, Bundle("bench-net"), mebibytes);
    await network.RunAsync(runs);
    report.Add(network.RuncRoundTrip, "us");
    report.Add(network.SandboxrtRoundTrip, "us");
    report.Add(network.RuncThroughput, "MiB/s");
    report.Add(network.SandboxrtThroughput, "MiB/s");
    report.Ratio("TCP round trip: sandboxrt / runc", network.SandboxrtRoundTrip, network.RuncRoundTrip);
    report.Ratio("TCP throughput: sandboxrt / runc", network.SandboxrtThroughput, network.RuncThroughput);
}

if (Ready("density", sandboxrtBinary, Path.Combine(Bundle("bench-idle"), "config.json")))
{
    // BENCH_DENSITY=1,5,10,20,50,100 measures further (each checkpoint is measured, not extrapolated)
    int[] checkpoints = Checkpoints("BENCH_DENSITY", quick ? [1, 5] : [1, 5, 10, 20]);
    Console.Error.WriteLine($"density: idle sandboxes started one after another, memory measured at {string.Join(", ", checkpoints)}");
    var density = new DensityBenchmark(sandboxrt, Bundle("bench-idle"), checkpoints);
    await density.RunAsync();
    AddCheckpoints(report, density.Samples, density.Notes, "idle sandbox start", "host PSS per idle sandbox (", "host PSS per sandbox");
}
if (Ready("pods", sandboxrtBinary, Path.Combine(Bundle("bench-true"), "config.json"), "/usr/bin/containerd"))
{
    // BENCH_PODS=1,20,100 measures further (each checkpoint is measured, not extrapolated)
    int[] checkpoints = Checkpoints("BENCH_PODS", quick ? [1, 5] : [1, 20]);
    Console.Error.WriteLine($"pods: idle one-container pods through containerd and the shim v2, memory measured at {string.Join(", ", checkpoints)}");
    await using var daemons = new ClientDaemons();
    await daemons.StartAsync(sandboxrtBinary, Path.Combine(Bundle("bench-true"), "rootfs"));
    var pods = new PodDensityBenchmark(daemons, checkpoints);
    await pods.RunAsync();
    AddCheckpoints(report, pods.Samples, pods.Notes, "idle pod start", "host PSS per idle pod (", "host PSS per pod, shim v2");
}
Directory.Delete(stateRoot, recursive: true);

report.Print(Console.Out);
Directory.CreateDirectory(outDir);
File.WriteAllText(Path.Combine(outDir, "latest.json"), report.ToJson().ToJsonString(new() { WriteIndented = true }));
File.WriteAllText(Path.Combine(outDir, "latest.md"), report.ToMarkdown());
Console.Error.WriteLine($"wrote {Path.Combine(outDir, "latest.json")} and latest.md");
return report.Failures == 0 ? 0 : 1;

// A density section's samples (start times in ms, the rest in MiB) and notes, and the ratios of its last
// checkpoint to its first: start time, and the PSS per sandbox or pod.
static void AddCheckpoints(Report report, List<Sample> samples, List<string> notes, string startPrefix, string pssPrefix, string pssName)
{
    foreach (var sample in samples)
        report.Add(sample, sample.Name.StartsWith(startPrefix) ? "ms" : "MiB");
    foreach (var note in notes)
        report.Note(note);
    var starts = samples.Where(s => s.Name.StartsWith(startPrefix) && s.Values.Count > 0).ToList();
    if (starts.Count > 1)
        report.Ratio($"{startPrefix}: last checkpoint / first", starts[^1], starts[0]);
    var pss = samples.Where(s => s.Name.StartsWith(pssPrefix) && s.Values.Count > 0).ToList();
    if (pss.Count > 1)
        report.Ratio($"{pssName}: last checkpoint / first", pss[^1], pss[0]);
}

// The counts a density section measures at, from a comma-separated variable, or its defaults.
static int[] Checkpoints(string variable, int[] defaults) =>
    Environment.GetEnvironmentVariable(variable) is { Length: > 0 } list
        ? [.. list.Split(',').Select(int.Parse).Where(n => n > 0).Distinct().Order()]
        : defaults;

static string FindRepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "SandboxRt.sln")))
            return dir.FullName;
    return Directory.GetCurrentDirectory();
}
