using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Hypervisors.Qemu;
using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.Bench;

/// <summary>
/// Boot to agent ready against the bare-VM floor: the same QEMU command line, kernel and modules, with
/// the floor initramfs (a trivial static /init that loads the same modules, prints a marker and powers
/// off). Both are timed from just before QEMU is launched, interleaved run by run.
/// </summary>
/// <paramref name="kernelLabel"/> names the kernel in the sample names when more than one is measured.
internal sealed class BootBenchmark(HypervisorConfig config, string floorInitrd, string stateRoot, string kernelLabel = "")
{
    public const string FloorMarker = "SANDBOXRT-FLOOR READY";
    private static string Of(string label) => label.Length == 0 ? "" : $", {label} kernel";

    public Sample Floor { get; } = new($"bare-VM floor (QEMU launch to floor /init marker{Of(kernelLabel)})");
    public Sample Agent { get; } = new($"sandbox (QEMU launch to agent answering{Of(kernelLabel)})");
    public Sample FloorGuestUptime { get; } = new($"floor marker, guest uptime{Of(kernelLabel)}");
    public Sample AgentGuestServing { get; } = new($"agent serving, guest uptime{Of(kernelLabel)}");

    public async Task RunAsync(int runs)
    {
        for (int i = 0; i < runs; i++)
        {
            if (i % 2 == 0)
            {
                await RunFloorAsync(i);
                await RunAgentAsync(i);
            }
            else
            {
                await RunAgentAsync(i);
                await RunFloorAsync(i);
            }
            Console.Error.WriteLine($"  run {i + 1}/{runs}: floor {Floor.LastText} ms, agent {Agent.LastText} ms");
        }
    }


    public async Task RunFloorAsync(int run)
    {
        var id = $"bench-floor-{Environment.ProcessId}-{run}";
        var dir = Path.Combine(stateRoot, id);
        var hypervisor = new QemuHypervisor(config);
        var watch = Stopwatch.StartNew();
        var vm = await hypervisor.LaunchAsync(new VmLaunchRequest(id, dir, config) { InitrdOverride = floorInitrd });
        try
        {
            var deadline = TimeSpan.FromSeconds(config.BootTimeoutSeconds);
            while (watch.Elapsed < deadline)
            {
                var line = ReadMarker(vm.ConsoleLogPath);
                if (line is not null)
                {
                    Floor.Add(watch.Elapsed.TotalMilliseconds);
                    var uptime = line.Split("uptime_ms=")[1].Split(' ')[0];
                    FloorGuestUptime.Add(double.Parse(uptime));
                    return;
                }
                if (vm.Exited.IsCompleted)
                    break;
                await Task.Delay(5);
            }
            Floor.Fail();
        }
        finally
        {
            await vm.StopAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string? ReadMarker(string consoleLog)
    {
        try
        {
            using var stream = new FileStream(consoleLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            // Only a whole line: the host copies the console into the log in chunks as they arrive.
            var lines = reader.ReadToEnd().Split('\n');
            return lines.SkipLast(1).FirstOrDefault(l => l.StartsWith(FloorMarker, StringComparison.Ordinal));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    private async Task RunAgentAsync(int run)
    {
        var id = $"bench-agent-{Environment.ProcessId}-{run}";
        var watch = Stopwatch.StartNew();
        try
        {
            await using var sandbox = await Sandbox.StartAsync(new SandboxStartOptions(id, stateRoot, config), NullLogger.Instance);
            var elapsed = watch.Elapsed.TotalMilliseconds;
            var details = await sandbox.Agent.GuestDetailsAsync();
            if (details.KernelRelease.Length == 0)
                throw new InvalidOperationException("the agent reported no kernel release");
            Agent.Add(elapsed);
            AgentGuestServing.Add(details.Serving.TotalMilliseconds);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"  agent run {run} failed: {e.Message}");
            Agent.Fail();
        }
    }
}
