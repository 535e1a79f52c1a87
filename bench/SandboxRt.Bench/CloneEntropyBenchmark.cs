using System.Globalization;

namespace SandboxRt.Bench;

/// <summary>
/// Clones share no secrets (issue 17): <see cref="Clones"/> `sandboxrt run`s one after another, each a clone
/// of the same VM template, print 32 bytes of their /dev/urandom, their boot_id and their wall clock (µs,
/// busybox adjtimex). Every random string must differ (a repeat is a failure); the boot ids are counted
/// (Linux makes one on its first read, after the restore unless the template read it); each clock is compared with the host's clock around the
/// run: it must lie between the host's time before the run and after it, give or take a second.
/// A run the CLI did not restore from a template (a cold boot) is reported, since it proves nothing here.
/// </summary>
internal sealed class CloneEntropyBenchmark(RuntimeCli sandboxrt, string bundle)
{
    public const int Clones = 20;
    private const string Restored = "restored from template";

    public Sample ClockOffset { get; } = new("clone's clock minus the host's at the run's end (negative: the run's teardown)");
    public Sample Distinct { get; } = new($"clones whose 32 random bytes differ from every other clone's, of {Clones}");
    public List<string> Notes { get; } = [];

    public async Task RunAsync()
    {
        var randoms = new List<string>();
        var bootIds = new List<string>();
        int cold = 0;
        for (int i = 0; i < Clones; i++)
        {
            var id = $"bench-clone-{Environment.ProcessId}-{i:D2}";
            double before = NowMicroseconds();
            var run = await Shell.RunAsync(sandboxrt.Command[0], [.. sandboxrt.Command.Skip(1), "run", "--timings", "--bundle", bundle, id]);
            double after = NowMicroseconds();
            var lines = run.Stdout.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (run.Exit != 0 || lines.Length < 4 || lines[0].Length != 64 || !TryClock(lines[2], lines[3], out double guest))
            {
                ClockOffset.Fail();
                Notes.Add($"clones: run {i + 1} failed (exit {run.Exit}): {run.Output.Trim()}");
                await sandboxrt.DeleteAsync(id);
                continue;
            }
            if (!run.Stderr.Contains(Restored))
                cold++;
            randoms.Add(lines[0]);
            bootIds.Add(lines[1]);
            if (guest < before - 1e6 || guest > after + 1e6)
                ClockOffset.Fail(); // outside the run, give or take a second: the clone kept the template's clock
            ClockOffset.Add((guest - after) / 1000);
            Console.Error.WriteLine($"  clone {i + 1}: {lines[0][..16]}..., boot_id {lines[1]}, clock {(guest - after) / 1000:F0} ms from the host's at the end");
        }
        int distinct = randoms.Distinct().Count();
        Distinct.Add(distinct);
        if (distinct != randoms.Count || randoms.Count != Clones)
            Distinct.Fail();
        // Linux makes boot_id on its first read: one the template never read is each clone's own
        Notes.Add($"clones: {randoms.Count} runs, {distinct} distinct 32-byte /dev/urandom reads, {bootIds.Distinct().Count()} distinct boot_id, " +
                  $"{cold} not restored from a template (cold boots)");
    }

    /// <summary>busybox adjtimex's "time.tv_sec: S" and "time.tv_usec: U" lines as µs since the epoch.</summary>
    private static bool TryClock(string secLine, string usecLine, out double microseconds)
    {
        microseconds = 0;
        if (!secLine.StartsWith("time.tv_sec:") || !usecLine.StartsWith("time.tv_usec:") ||
            !long.TryParse(secLine["time.tv_sec:".Length..].Trim(), CultureInfo.InvariantCulture, out long sec) ||
            !long.TryParse(usecLine["time.tv_usec:".Length..].Trim(), CultureInfo.InvariantCulture, out long usec))
            return false;
        microseconds = sec * 1e6 + usec;
        return true;
    }

    private static double NowMicroseconds() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 10.0;
}
