namespace SandboxRt.Interop;

/// <summary>reboot(2): how PID 1 stops the machine.</summary>
public static class Power
{
    private const int RB_POWER_OFF = 0x4321fedc;
    private const int RB_AUTOBOOT = 0x01234567;

    /// <summary>Syncs and powers the machine off. Returns only when the call failed.</summary>
    public static void PowerOff()
    {
        Interop.Sync();
        Check.Io(Interop.Reboot(RB_POWER_OFF), "reboot", "POWER_OFF");
    }

    /// <summary>Syncs and restarts (a VM started with -no-reboot exits instead).</summary>
    public static void Restart()
    {
        Interop.Sync();
        Check.Io(Interop.Reboot(RB_AUTOBOOT), "reboot", "RESTART");
    }
}
