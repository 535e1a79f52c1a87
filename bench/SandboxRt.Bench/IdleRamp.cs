using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SandboxRt.Bench;

/// <summary>
/// The ramp the density and pods sections share: idle VMs started one after another up to each
/// checkpoint, every start timed (one sample per stretch between checkpoints), none started while the
/// host has less than <see cref="MemoryFloorMib"/> available, a measurement at each checkpoint, and every
/// VM deleted however the run ends (an exception, SIGINT or SIGTERM). What a VM is (how it starts, how it
/// is deleted, what a checkpoint measures) is the section's.
/// </summary>
/// <param name="section">The section's name, first in its notes ("density", "pods").</param>
/// <param name="noun">What one VM is called in notes ("sandbox", "pod").</param>
/// <param name="nouns">Its plural ("sandboxes", "pods").</param>
/// <param name="delete">Deletes one VM by its id.</param>
internal sealed class IdleRamp(string section, string noun, string nouns, Func<string, Task> delete)
{
    /// <summary>No VM is started while the host has less than this available.</summary>
    public const double MemoryFloorMib = 2048;

    private readonly SemaphoreSlim _deleting = new(1, 1);
    private readonly List<string> _ids = [];

    /// <summary>The ids of the VMs running, in start order.</summary>
    public IReadOnlyList<string> Ids => _ids;

    /// <summary>Every start's time in milliseconds, in start order.</summary>
    public List<double> Starts { get; } = [];

    /// <param name="startLabel">The start sample's name for a stretch ("1", "2-20").</param>
    /// <param name="idOf">The id of VM number k (from 1).</param>
    /// <param name="start">Starts one VM; returns null, or why it failed (the ramp stops there).</param>
    /// <param name="atCheckpoint">Measures with n VMs running.</param>
    public async Task RunAsync(IReadOnlyList<int> checkpoints, Func<string, string> startLabel, Func<int, string> idOf,
        Func<string, Task<string?>> start, Func<int, Task> atCheckpoint, List<Sample> samples, List<string> notes)
    {
        int previous = 0;
        // Ctrl-C or a kill of the bench: delete the VMs before the process goes
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        try
        {
            foreach (int n in checkpoints)
            {
                var starts = new Sample(startLabel(n - previous == 1 ? $"{n}" : $"{previous + 1}-{n}"));
                samples.Add(starts);
                for (int k = previous + 1; k <= n; k++)
                {
                    if (HostMemory.AvailableKib() / 1024 < MemoryFloorMib)
                    {
                        notes.Add($"{section}: stopped before {noun} {k}: host MemAvailable {HostMemory.AvailableKib() / 1024:F0} MiB is below {MemoryFloorMib:F0} MiB");
                        return;
                    }
                    var id = idOf(k);
                    _ids.Add(id);
                    var watch = Stopwatch.StartNew();
                    if (await start(id) is { } error)
                    {
                        starts.Fail();
                        notes.Add($"{section}: {noun} {k} failed to start ({error}); stopped there");
                        Console.Error.WriteLine($"  {noun} {k}: {error}");
                        return;
                    }
                    starts.Add(watch.Elapsed.TotalMilliseconds);
                    Starts.Add(watch.Elapsed.TotalMilliseconds);
                    Console.Error.WriteLine($"  {noun} {k}: started in {starts.LastText} ms");
                }
                previous = n;
                await atCheckpoint(n);
            }
        }
        finally
        {
            await DeleteAllAsync();
        }
    }

    /// <summary>Deletes every VM started so far (once: the signal handler and the run's own clean-up may race).</summary>
    private async Task DeleteAllAsync()
    {
        await _deleting.WaitAsync();
        try
        {
            foreach (var id in _ids.ToList())
            {
                await delete(id);
                _ids.Remove(id);
            }
        }
        finally
        {
            _deleting.Release();
        }
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // exit below, after the VMs are gone
        Console.Error.WriteLine($"{section}: {context.Signal}: deleting {_ids.Count} {nouns}");
        DeleteAllAsync().GetAwaiter().GetResult();
        Environment.Exit(130);
    }
}
