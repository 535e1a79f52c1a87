namespace SandboxRt.Runtime.Relay;

/// <summary>
/// Gives the GC's memory back to the system once a long-lived host process (a relay, the shim daemon)
/// has gone quiet after work. The GC keeps what a burst of work made it commit (start-up, a create, a
/// start through the proxy) for the next burst, which in an idle relay never comes: that was about
/// 9 MiB of an idle relay's 15 MiB of anonymous memory (docs/benchmarks.md, "Relay and shim PSS").
/// Every <see cref="Period"/> it looks at how much the process allocated: when at least
/// <see cref="WorthBytes"/> came since the last trim and less than <see cref="QuietBytes"/> in the last
/// period, it runs one aggressive collection (compacting, and decommitting what is free). An idle
/// process pays one look at a counter per period; a busy one is never interrupted by a trim.
/// </summary>
public sealed class IdleHeapTrim : IDisposable
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(2);
    public const long QuietBytes = 64 * 1024;
    public const long WorthBytes = 512 * 1024;

    private readonly Timer _timer;
    private long _atTrim;
    private long _atLastLook;

    public IdleHeapTrim()
    {
        _atTrim = _atLastLook = GC.GetTotalAllocatedBytes();
        _timer = new Timer(_ => Look(), null, Period, Period);
    }

    /// <summary>How many trims ran (for tests and logs).</summary>
    public int Trims { get; private set; }

    private void Look()
    {
        long now = GC.GetTotalAllocatedBytes();
        bool quiet = now - _atLastLook < QuietBytes;
        _atLastLook = now;
        if (!quiet || now - _atTrim < WorthBytes)
            return;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        Trims++;
        _atTrim = _atLastLook = GC.GetTotalAllocatedBytes();
    }

    public void Dispose() => _timer.Dispose();
}
