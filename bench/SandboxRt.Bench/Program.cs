using System.Text.Json.Nodes;
using SandboxRt.Bench;
using SandboxRt.Runtime.Configuration;

// make bench: dotnet run --project bench/SandboxRt.Bench -- --runs N --out DIR
int runs = 7;
string outDir = "bench/results";
string guestDir = Environment.GetEnvironmentVariable("SANDBOXRT_GUEST_DIR") ?? "/usr/share/sandboxrt";
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--runs": runs = int.Parse(args[++i]); break;
        case "--out": outDir = args[++i]; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

var repoConfig = Path.Combine(FindRepoRoot(), "hypervisor-configs", "qemu.json");
var config = HypervisorConfigLoader.Load(repoConfig, new Dictionary<string, string>
{
    ["kernel"] = Path.Combine(guestDir, "vmlinux"),
    ["initrd"] = Path.Combine(guestDir, "initramfs.img"),
});
var stateRoot = Path.Combine("/run/sandboxrt-bench", Environment.ProcessId.ToString());
Directory.CreateDirectory(stateRoot);

Console.Error.WriteLine($"boot: {runs} interleaved runs of the bare-VM floor and a sandbox (machine {config.MachineType}, TCG unless KVM is usable)");
var boot = new BootBenchmark(config, Path.Combine(guestDir, "floor-initramfs.img"), stateRoot);
await boot.RunAsync(runs);
Directory.Delete(stateRoot, recursive: true);

var report = new Report(runs);
report.Add(boot.Floor, "ms");
report.Add(boot.Agent, "ms");
report.Add(boot.FloorGuestUptime, "ms");
report.Add(boot.AgentGuestServing, "ms");
report.Ratio("sandbox boot / bare-VM floor", boot.Agent, boot.Floor);
report.Print(Console.Out);
Directory.CreateDirectory(outDir);
File.WriteAllText(Path.Combine(outDir, "latest.json"), report.ToJson().ToJsonString(new() { WriteIndented = true }));
File.WriteAllText(Path.Combine(outDir, "latest.md"), report.ToMarkdown());
Console.Error.WriteLine($"wrote {Path.Combine(outDir, "latest.json")} and latest.md");
return boot.Floor.Failures + boot.Agent.Failures == 0 ? 0 : 1;

static string FindRepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "SandboxRt.sln")))
            return dir.FullName;
    return Directory.GetCurrentDirectory();
}
