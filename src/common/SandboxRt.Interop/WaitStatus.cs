namespace SandboxRt.Interop;

/// <summary>A decoded waitpid status word.</summary>
public readonly record struct WaitStatus(int Raw)
{
    public bool Exited => (Raw & 0x7f) == 0;
    public bool Signaled => (Raw & 0x7f) != 0 && (Raw & 0x7f) != 0x7f;
    public int ExitCode => (Raw >> 8) & 0xff;
    public int TermSignal => Raw & 0x7f;

    /// <summary>The shell convention: the exit code, or 128 + the signal that killed the process.</summary>
    public int ShellStatus => Exited ? ExitCode : 128 + TermSignal;

    public override string ToString() => Exited ? $"exited {ExitCode}" : $"killed by signal {TermSignal}";
}
