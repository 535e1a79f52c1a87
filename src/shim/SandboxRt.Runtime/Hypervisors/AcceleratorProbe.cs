namespace SandboxRt.Runtime.Hypervisors;

/// <summary>
/// Decides between KVM and TCG. /dev/kvm existing is not enough: on PVM-backed hosts (no vmx/svm flag
/// in /proc/cpuinfo) QEMU starts with -accel kvm and an ordinary guest kernel then hangs forever.
/// KVM counts as usable only when the CPU advertises vmx or svm and /dev/kvm opens read-write.
/// </summary>
public static class AcceleratorProbe
{
    public const string KvmDevice = "/dev/kvm";

    public static AcceleratorChoice Choose(string configured, string cpuinfoPath = "/proc/cpuinfo", string kvmPath = KvmDevice)
    {
        var (usable, reason) = ProbeKvm(cpuinfoPath, kvmPath);
        return configured switch
        {
            "tcg" => new AcceleratorChoice("tcg", usable, "accelerator=tcg in the configuration" + (usable ? "" : "; " + reason)),
            "kvm" when usable => new AcceleratorChoice("kvm", true, reason),
            "kvm" => throw new HypervisorException($"accelerator=kvm is configured, but KVM is not usable: {reason}"),
            _ => usable ? new AcceleratorChoice("kvm", true, reason)
                        : new AcceleratorChoice("tcg", false, reason + "; falling back to TCG (software emulation, slow)"),
        };
    }

    /// <summary>Whether KVM can run an ordinary guest here, with the evidence.</summary>
    public static (bool Usable, string Reason) ProbeKvm(string cpuinfoPath = "/proc/cpuinfo", string kvmPath = KvmDevice)
    {
        string? flag = null;
        if (File.Exists(cpuinfoPath))
        {
            foreach (var line in File.ReadLines(cpuinfoPath))
            {
                if (!line.StartsWith("flags", StringComparison.Ordinal))
                    continue;
                var flags = line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                flag = flags.Contains("vmx") ? "vmx" : flags.Contains("svm") ? "svm" : null;
                break;
            }
        }
        bool exists = File.Exists(kvmPath);
        if (flag is null)
            return (false, exists
                ? $"{cpuinfoPath} has no vmx or svm flag, although {kvmPath} exists (a PVM- or otherwise para-virtualized KVM cannot run ordinary guests)"
                : $"{cpuinfoPath} has no vmx or svm flag and {kvmPath} does not exist");
        if (!exists)
            return (false, $"the CPU has {flag}, but {kvmPath} does not exist (is the kvm module loaded?)");
        try
        {
            using var _ = new FileStream(kvmPath, FileMode.Open, FileAccess.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (false, $"the CPU has {flag}, but {kvmPath} cannot be opened: {e.Message}");
        }
        return (true, $"the CPU has {flag} and {kvmPath} opens");
    }
}
