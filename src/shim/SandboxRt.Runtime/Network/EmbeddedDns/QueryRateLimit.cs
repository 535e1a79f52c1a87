namespace SandboxRt.Runtime.Network.EmbeddedDns;

/// <summary>A token bucket: <c>burst</c> queries at once, refilled at <c>perSecond</c>. Not thread-safe (one reader takes).</summary>
public sealed class QueryRateLimit(double perSecond, int burst, TimeProvider time)
{
    private double _tokens = burst;
    private long _last = time.GetTimestamp();

    public bool TryTake()
    {
        long now = time.GetTimestamp();
        _tokens = Math.Min(burst, _tokens + time.GetElapsedTime(_last, now).TotalSeconds * perSecond);
        _last = now;
        if (_tokens < 1)
            return false;
        _tokens -= 1;
        return true;
    }
}
