using SandboxRt.Interop;

namespace SandboxRt.Cgroups.Devices;

/// <summary>Loads a <see cref="DeviceFilterProgram"/> into the kernel and attaches it to a cgroup v2 directory.</summary>
public static class DeviceFilter
{
    /// <summary>The program name bpftool shows.</summary>
    public const string ProgramName = "sandboxrt_dev";

    /// <summary>
    /// Loads and attaches (BPF_F_ALLOW_MULTI: programs of ancestors still apply). Returns the program
    /// descriptor: the attachment holds its own reference, so closing it does not detach, but it is
    /// what <see cref="Detach"/> needs to replace the program later.
    /// </summary>
    public static SafeFdHandle Attach(string cgroupPath, DeviceFilterProgram program)
    {
        var fd = BpfPrograms.LoadCgroupDevice(program.Encode(), DeviceFilterProgram.License, ProgramName);
        try
        {
            BpfPrograms.AttachCgroupDevice(cgroupPath, fd);
            return fd;
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>Detaches a program attached by <see cref="Attach"/>; false when it was not attached.</summary>
    public static bool Detach(string cgroupPath, SafeFdHandle program) => BpfPrograms.DetachCgroupDevice(cgroupPath, program);
}
