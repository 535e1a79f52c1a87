namespace SandboxRt.Runtime.Lifecycle;

/// <summary>--pid-file as runc writes it: the pid, no newline, renamed into place so readers never see half of it.</summary>
public static class PidFile
{
    public static void Write(string path, int pid)
    {
        var full = Path.GetFullPath(path);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + ".tmp");
        File.WriteAllText(temporary, pid.ToString());
        File.Move(temporary, full, overwrite: true);
    }
}
