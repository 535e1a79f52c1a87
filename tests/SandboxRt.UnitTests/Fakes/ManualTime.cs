namespace SandboxRt.UnitTests.Fakes;

/// <summary>A <see cref="TimeProvider"/> whose clock moves only when the test calls <see cref="Advance"/>.</summary>
internal sealed class ManualTime : TimeProvider
{
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    public override long GetTimestamp() => Interlocked.Read(ref _ticks);
    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
