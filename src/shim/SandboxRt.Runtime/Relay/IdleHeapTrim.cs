using SandboxRt.Interop;

namespace SandboxRt.Runtime.Relay;

/// <summary>
/// Gives the GC's memory back to the system once a long-lived host process (a relay, the shim daemon)
/// has gone quiet after work. The GC keeps what a burst of work made it commit (start-up, a create, a
/// start through the proxy) for the next burst, which in an idle relay never comes: that was about
/// 9 MiB of an idle relay's 15 MiB of anonymous memory (docs/benchmarks.md, "Relay and shim PSS").
/// Every <see cref="Period"/> it looks at how much the process allocated: when at least
/// <see cref="WorthBytes"/> came since the last trim and less than <see cref="QuietBytes"/> in the last
/// period, it runs one aggressive collection (compacting, and decommitting what is free), then unmaps
/// the clean pages of its binary and libraries that it had faulted in (ResidentImage: they stay in the
/// page cache, shared and reclaimable; an idle relay faults back only the little it runs while idle). An idle process pays one look at a
/// counter per period; a busy one is never interrupted by a trim.
/// </summary>
public sealed class IdleHeapTrim : IDisposable
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(2);
    public const long QuietBytes = 64 * 1024;
    public const long WorthBytes = 512 * 1024;

    private readonly Timer _timer;
    private readonly Func<long> _allocated;
    private readonly Action? _trimmed;
    private bool _imageFailed;
    private int _looking;
    private long _atTrim;
    private long _atLastLook;

    public IdleHeapTrim() : this(Period, () => GC.GetTotalAllocatedBytes())
    {
    }

    /// <param name="period">How often it looks.</param>
    /// <param name="allocated">The process's allocated bytes so far (the unit tests' own count).</param>
    /// <param name="trimmed">Called after each trim.</param>
    internal IdleHeapTrim(TimeSpan period, Func<long> allocated, Action? trimmed = null)
    {
        _allocated = allocated;
        _trimmed = trimmed;
        _atTrim = _atLastLook = allocated();
        _timer = new Timer(_ => Look(), null, period, period);
    }

    private void Look()
    {
        // a look that outlasts the period (a collection on a loaded machine) is not overlapped by the next
        if (Interlocked.Exchange(ref _looking, 1) == 1)
            return;
        try
        {
            LookOnce();
        }
        finally
        {
            Volatile.Write(ref _looking, 0);
        }
    }

    private void LookOnce()
    {
        long now = _allocated();
        bool quiet = now - _atLastLook < QuietBytes;
        _atLastLook = now;
        if (!quiet || now - _atTrim < WorthBytes)
            return;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        ReleaseImage();
        _atTrim = _atLastLook = _allocated();
        _trimmed?.Invoke();
    }

    /// <summary>Unmaps the clean resident pages of the mapped files; a failure (no /proc, an unexpected smaps) only ends these releases: a relay never dies of a trim.</summary>
    private void ReleaseImage()
    {
        if (_imageFailed)
            return;
        try
        {
            ResidentImage.ReleaseCleanFiles();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            _imageFailed = true;
        }
    }

    public void Dispose() => _timer.Dispose();
}
