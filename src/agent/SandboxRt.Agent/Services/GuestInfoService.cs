using SandboxRt.Agent.Boot;
using SandboxRt.Agent.Protocol;
using SandboxRt.Grpc.Server;

namespace SandboxRt.Agent.Services;

/// <summary>GuestDetails: what the guest is, read from /proc when asked.</summary>
internal sealed class GuestInfoService(BootFacts facts)
{
    public void Register(GrpcServiceTable table) => table.AddUnary(AgentMethods.GuestDetails, GuestDetailsAsync);

    private Task<GuestDetailsResponse> GuestDetailsAsync(GuestDetailsRequest request, ServerCallContext context)
    {
        var memory = ReadMeminfo();
        var response = new GuestDetailsResponse
        {
            KernelRelease = ReadTrimmed("/proc/sys/kernel/osrelease"),
            Cpus = (uint)Environment.ProcessorCount,
            MemoryTotalBytes = memory.GetValueOrDefault("MemTotal"),
            MemoryAvailableBytes = memory.GetValueOrDefault("MemAvailable"),
            Transport = facts.Transport,
            AgentVersion = AgentVersion.Value,
            BootId = ReadTrimmed("/proc/sys/kernel/random/boot_id"),
            Timeline = new BootTimeline
            {
                AgentStartMs = (ulong)facts.AgentStart.TotalMilliseconds,
                SystemReadyMs = (ulong)facts.SystemReady.TotalMilliseconds,
                ServingMs = (ulong)facts.Serving.TotalMilliseconds,
            },
            AgentRssBytes = (ulong)Environment.WorkingSet,
        };
        response.LoadedModules.AddRange(facts.LoadedModules);
        return Task.FromResult(response);
    }

    private static string ReadTrimmed(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : "";

    /// <summary>/proc/meminfo values in bytes, keyed by field name.</summary>
    private static Dictionary<string, ulong> ReadMeminfo()
    {
        var values = new Dictionary<string, ulong>();
        foreach (var line in File.ReadLines("/proc/meminfo"))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0)
                continue;
            var parts = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 0 && ulong.TryParse(parts[0], out var value))
                values[line[..colon]] = parts.Length > 1 && parts[1] == "kB" ? value * 1024 : value;
        }
        return values;
    }
}
