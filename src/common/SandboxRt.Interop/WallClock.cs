namespace SandboxRt.Interop;

/// <summary>CLOCK_REALTIME, set (the guest agent sets a restored VM's clock from the host's).</summary>
public static class WallClock
{
    public static unsafe void Set(long unixNanoseconds)
    {
        var ts = new Interop.Timespec { Seconds = unixNanoseconds / 1_000_000_000, Nanoseconds = unixNanoseconds % 1_000_000_000 };
        Check.Io(Interop.ClockSetTime(Interop.CLOCK_REALTIME, &ts), "clock_settime", "CLOCK_REALTIME");
    }
}
