using System.Diagnostics;
using System.Globalization;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Hypervisors;

namespace SandboxRt.Runtime.Sandboxes;

/// <summary>
/// Where a sandbox's boot went, as points on the host's <see cref="Stopwatch"/> clock: the hypervisor
/// started; the guest kernel started (the host's clock at the agent's GuestDetails answer minus the
/// guest's uptime in it); the kernel ran /init (the timestamp of its console line); the agent's Main ran
/// (after the .NET runtime's start-up); the agent served; the host connected. Guest points are guest
/// uptimes placed on the host clock, good to within the one round trip of the GuestDetails call.
/// </summary>
public sealed record BootBreakdown(IReadOnlyList<(string Phase, long Timestamp)> Points)
{
    private const string InitLine = "] Run /init as init process";

    public static BootBreakdown Measure(IVirtualMachine vm, long connectedTimestamp, GuestDetails details, long detailsTimestamp)
    {
        if (vm.Start.FromTemplate)
        {
            // A clone's guest uptimes are its template's boot: only the host's own points mean anything.
            return new BootBreakdown([
                ("hypervisor started", vm.LaunchedTimestamp),
                ($"restored from template {vm.Start.TemplateKey} (warm start)", vm.LaunchedTimestamp + Ticks(vm.Start.Restore)),
                ("host connected to the agent", connectedTimestamp),
            ]);
        }
        long kernel = detailsTimestamp - Ticks(details.Uptime);
        var points = new List<(string, long)> { ("hypervisor started", vm.LaunchedTimestamp), ("guest kernel started", kernel) };
        if (InitEntry(vm.ConsoleLogPath) is { } init)
            points.Add(("guest kernel ran /init", kernel + Ticks(init)));
        points.Add(("agent Main entered (runtime started)", kernel + Ticks(details.AgentStart)));
        points.Add(("agent serving", kernel + Ticks(details.Serving)));
        points.Add(("host connected to the agent", connectedTimestamp));
        return new BootBreakdown(points);
    }

    /// <summary>One line: each phase with its milliseconds since the hypervisor started.</summary>
    public override string ToString() =>
        string.Join(", ", Points.Select(p => $"{p.Phase} +{Stopwatch.GetElapsedTime(Points[0].Timestamp, p.Timestamp).TotalMilliseconds:F0} ms"));

    /// <summary>The guest uptime of the kernel's "Run /init as init process" console line ([ seconds.micros ] prefix).</summary>
    internal static TimeSpan? InitEntry(string consoleLog)
    {
        // The console is a RotatingLog: a long boot may have moved its start to console.log.1.
        foreach (var file in new[] { Diagnostics.RotatingLog.PreviousPath(consoleLog), consoleLog })
            if (InitEntryIn(file) is { } found)
                return found;
        return null;
    }

    private static TimeSpan? InitEntryIn(string file)
    {
        try
        {
            // the guest writes the console: read a bounded head of it, never a line of unbounded length
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var head = new byte[256 * 1024];
            int length = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            var text = System.Text.Encoding.UTF8.GetString(head, 0, length);
            int end = text.IndexOf(InitLine, StringComparison.Ordinal);
            int start = end < 0 ? -1 : text.LastIndexOf('[', end);
            if (start >= 0 && end - start < 32 &&
                double.TryParse(text.AsSpan(start + 1, end - start - 1).Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) &&
                seconds is >= 0 and < 3600)
                return TimeSpan.FromSeconds(seconds);
        }
        catch (IOException)
        {
        }
        return null;
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
