namespace SandboxRt.Interop;

/// <summary>CLOCK_BOOTTIME: time since the kernel booted, including suspend. Guest timelines use it.</summary>
public static class BootClock
{
    public static unsafe TimeSpan Now
    {
        get
        {
            Interop.Timespec ts;
            Check.Io(Interop.ClockGetTime(Interop.CLOCK_BOOTTIME, &ts), "clock_gettime", "CLOCK_BOOTTIME");
            return TimeSpan.FromTicks(ts.Seconds * TimeSpan.TicksPerSecond + ts.Nanoseconds / 100);
        }
    }
}
