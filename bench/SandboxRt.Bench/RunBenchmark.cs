namespace SandboxRt.Bench;

/// <summary>
/// `sandboxrt run` of /bin/true against `runc run` of the same bundle and the bare-VM floor, interleaved
/// run by run (the order rotates) so that the machine's noise hits all three alike. A run whose exit
/// status is not 0 is counted as failed, not timed. sandboxrt runs with --timings, and its report (host
/// steps and the guest's boot phases on the host clock) gives where the start time goes.
/// </summary>
internal sealed class RunBenchmark(RuntimeCli sandboxrt, string bundle, BootBenchmark floor)
{
    public Sample Sandboxrt { get; } = new("sandboxrt run /bin/true (wall)");
    public Sample Cold { get; } = new("sandboxrt run /bin/true, cold boot: qemu.vm_template=false (wall)");
    public Sample Runc { get; } = new("runc run /bin/true (wall)");

    /// <summary>The --timings points that bound each phase, in order; a phase runs from one point to the next.</summary>
    private static readonly (string Point, string Phase)[] Points =
    [
        ("hypervisor started", "  CLI to QEMU exec (validation, virtiofsd, state)"),
        ("restored from template", "  QEMU exec to running clone (RAM copy, state load, hot-plug; warm start only)"),
        ("guest kernel started", "  QEMU exec to guest kernel entry"),
        ("guest kernel ran /init", "  kernel boot to /init (incl. initramfs unpack)"),
        ("agent Main entered", "  /init exec to agent Main (NativeAOT runtime start)"),
        ("agent serving", "  agent start-up (mounts, modules, channel)"),
        ("host connected to the agent", "  agent serving to host connected"),
        ("container created", "  sandbox set-up and CreateContainer"),
        ("container started", "  StartContainer"),
        ("container exited", "  /bin/true runs, exit reported"),
        ("sandbox stopped", "  teardown (VM stop, clean-up)"),
    ];

    public List<Sample> Breakdown { get; } =
        [.. Points.Select(p => new Sample("start breakdown:" + p.Phase)), new Sample("start breakdown:  CLI process start-up and exit (wall minus the above)")];

    public async Task RunAsync(int runs)
    {
        for (int i = 0; i < runs; i++)
        {
            Func<Task>[] steps =
            [
                () => floor.RunFloorAsync(1000 + i), () => TimeSandboxrtAsync(i),
                () => RuntimeCli.Runc().TimeAsync(Runc, "run", "--bundle", bundle, $"bench-runc-{Environment.ProcessId}-{i}"),
                () => (sandboxrt with { Command = [sandboxrt.Command[0], "--config-option", "qemu.vm_template=false", .. sandboxrt.Command.Skip(1)] })
                    .TimeAsync(Cold, "run", "--bundle", bundle, $"bench-cold-{Environment.ProcessId}-{i}"),
            ];
            for (int k = 0; k < steps.Length; k++)
                await steps[(i + k) % steps.Length]();
            Console.Error.WriteLine($"  run {i + 1}/{runs}: floor {floor.Floor.LastText} ms, sandboxrt {Sandboxrt.LastText} ms (cold {Cold.LastText} ms), runc {Runc.LastText} ms");
        }
    }

    private async Task TimeSandboxrtAsync(int i)
    {
        var id = $"bench-{Environment.ProcessId}-{i}";
        var result = await sandboxrt.TimeAsync(Sandboxrt, "run", "--timings", "--bundle", bundle, id);
        if (result.Exit != 0)
        {
            await sandboxrt.DeleteAsync(id); // a run killed at its time limit leaves its state behind
            foreach (var phase in Breakdown)
                phase.Fail();
            return;
        }
        var marks = ParseTimings(result.Stderr);
        var at = Points.Select(p => marks.FirstOrDefault(m => m.Name.StartsWith(p.Point, StringComparison.Ordinal)).Ms).ToList();
        double previous = 0;
        for (int k = 0; k < Points.Length; k++)
        {
            if (at[k] is not { } ms)
                continue; // a phase this start did not have: a clone boots no kernel, a cold VM restores nothing
            Breakdown[k].Add(ms - previous);
            previous = ms;
        }
        Breakdown[^1].Add(Sandboxrt.Values[^1] - previous);
    }

    /// <summary>The "  1234.5  +  12.3  name" lines of --timings.</summary>
    private static List<(string Name, double? Ms)> ParseTimings(string text) =>
        System.Text.RegularExpressions.Regex.Matches(text, @"^\s*([0-9.]+)\s+\+\s*[0-9.]+\s+(.+)$", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => (m.Groups[2].Value.Trim(), (double?)double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
}
