namespace SandboxRt.Bench;

/// <summary>
/// `exec /bin/true` into a running container: sandboxrt (a new relay process asks the running sandbox's
/// agent, through the container's relay, to start the process in the guest) against runc (setns into
/// the container's namespaces on the host). Same bundle, alternating calls; an exec that does not exit 0
/// is a failure, not a time. Before the first exec, the PSS of the sandboxrt container's relay (the
/// process its --pid-file names) once it has settled: the one relay on the host, so its binary's pages
/// count in full.
/// </summary>
internal sealed class ExecBenchmark(RuntimeCli sandboxrt, string bundle)
{
    public Sample Sandboxrt { get; } = new("exec /bin/true into a running container, sandboxrt");
    public Sample Runc { get; } = new("exec /bin/true into a running container, runc");
    public Sample RelayPss { get; } = new("relay PSS, idle container alone (target: at most 15 MiB)");

    /// <param name="whileRunning">Runs after the execs, while the sandboxrt container is still up, with its relay's pid.</param>
    public async Task RunAsync(int runs, Func<int, Task>? whileRunning = null)
    {
        var runc = RuntimeCli.Runc();
        var ids = new Dictionary<RuntimeCli, string>
        {
            [sandboxrt] = $"bench-exec-srt-{Environment.ProcessId}",
            [runc] = $"bench-exec-runc-{Environment.ProcessId}",
        };
        try
        {
            var pidFile = Path.Combine(Path.GetTempPath(), $"bench-relay-{Environment.ProcessId}.pid");
            foreach (var (cli, id) in ids)
                await cli.StartAsync(bundle, id, cli == sandboxrt ? pidFile : null);
            int relay = await MeasureRelayAsync(pidFile);
            for (int i = 0; i < runs; i++)
            {
                foreach (var cli in i % 2 == 0 ? new[] { sandboxrt, runc } : [runc, sandboxrt])
                    await cli.TimeAsync(cli == runc ? Runc : Sandboxrt, "exec", ids[cli], "/bin/true");
                Console.Error.WriteLine($"  run {i + 1}/{runs}: sandboxrt {Sandboxrt.LastText} ms, runc {Runc.LastText} ms");
            }
            if (whileRunning is not null && relay > 0)
                await whileRunning(relay);
        }
        finally
        {
            foreach (var (cli, id) in ids)
                await cli.DeleteAsync(id);
        }
    }

    /// <summary>The relay's PSS once it has settled: it gives back what create and start made its GC commit after a quiet while (IdleHeapTrim). Returns its pid (0: unknown).</summary>
    private async Task<int> MeasureRelayAsync(string pidFile)
    {
        await Task.Delay(TimeSpan.FromSeconds(8));
        double kib = int.TryParse(File.ReadAllText(pidFile).Trim(), out int pid) ? HostMemory.ProportionalSetKib(pid) : 0;
        File.Delete(pidFile);
        Console.Error.WriteLine($"  relay {pid}: PSS {kib / 1024:F1} MiB");
        if (kib > 0)
            RelayPss.Add(kib / 1024);
        else
            RelayPss.Fail();
        return pid;
    }
}
