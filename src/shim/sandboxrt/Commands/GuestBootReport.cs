using System.Text.Json.Nodes;
using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Checks;
using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.Cli.Commands;

/// <summary>Boots a throwaway sandbox, asks its agent for GuestDetails and Version, and stops it.</summary>
internal sealed class GuestBootReport
{
    public required CheckResult Result { get; init; }
    public GuestDetails? Guest { get; init; }
    public TimeSpan BootTime { get; init; }

    public static async Task<GuestBootReport> RunAsync(CommandContext context)
    {
        var id = $"check-{Environment.ProcessId}-{Random.Shared.Next(1000, 9999)}";
        try
        {
            await using var sandbox = await Sandbox.StartAsync(new SandboxStartOptions(id, context.Global.Root, context.Config), context.Log);
            var guest = await sandbox.Agent.GuestDetailsAsync();
            var version = await sandbox.Agent.VersionAsync();
            var detail = $"kernel {guest.KernelRelease}, agent {version.AgentVersion} ({version.ApiVersion}) on {guest.Transport}, " +
                         $"ready {sandbox.BootTime.TotalSeconds:F2} s after launch";
            return new GuestBootReport { Result = CheckResult.Ok("guest-boot", detail), Guest = guest, BootTime = sandbox.BootTime };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new GuestBootReport { Result = CheckResult.Fail("guest-boot", e.Message) };
        }
    }

    public static JsonObject ToJson(GuestDetails g, TimeSpan bootTime) => new()
    {
        ["kernel_release"] = g.KernelRelease,
        ["host_kernel_release"] = File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
        ["agent_version"] = g.AgentVersion,
        ["transport"] = g.Transport,
        ["cpus"] = g.Cpus,
        ["memory_total_bytes"] = g.MemoryTotalBytes,
        ["memory_available_bytes"] = g.MemoryAvailableBytes,
        ["boot_id"] = g.BootId,
        ["agent_rss_bytes"] = g.AgentRssBytes,
        ["loaded_modules"] = new JsonArray(g.LoadedModules.Select(m => (JsonNode?)JsonValue.Create(m)).ToArray()),
        ["timeline_ms"] = new JsonObject
        {
            ["agent_start"] = g.AgentStart.TotalMilliseconds,
            ["system_ready"] = g.SystemReady.TotalMilliseconds,
            ["serving"] = g.Serving.TotalMilliseconds,
        },
        ["boot_to_agent_ready_ms"] = Math.Round(bootTime.TotalMilliseconds),
    };

    public static void WriteDetails(TextWriter output, GuestDetails g, TimeSpan bootTime)
    {
        output.WriteLine("guest details (from the agent):");
        output.WriteLine($"  kernel release   {g.KernelRelease} (host: {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()})");
        output.WriteLine($"  agent version    {g.AgentVersion}");
        output.WriteLine($"  transport        {g.Transport}");
        output.WriteLine($"  cpus             {g.Cpus}");
        output.WriteLine($"  memory           {g.MemoryTotalBytes / 1048576} MiB total, {g.MemoryAvailableBytes / 1048576} MiB available");
        output.WriteLine($"  agent rss        {g.AgentRssBytes / 1048576.0:F1} MiB");
        output.WriteLine($"  boot id          {g.BootId}");
        output.WriteLine($"  modules loaded   {g.LoadedModules.Count}");
        output.WriteLine($"  guest timeline   agent start {g.AgentStart.TotalMilliseconds:F0} ms, system ready {g.SystemReady.TotalMilliseconds:F0} ms, serving {g.Serving.TotalMilliseconds:F0} ms (guest uptime)");
        output.WriteLine($"  host view        agent answered {bootTime.TotalMilliseconds:F0} ms after QEMU was launched");
    }
}
