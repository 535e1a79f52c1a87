using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Hypervisors;

/// <summary>The registered hypervisor drivers, chosen by name (the config's <c>hypervisor</c>, or a VM's <see cref="VmmRecord"/>).</summary>
public static class HypervisorFactory
{
    private static readonly IHypervisorDriver[] Drivers = [new Qemu.QemuDriver()];

    public static IEnumerable<string> Names => Drivers.Select(d => d.Name);

    public static IHypervisorDriver Driver(string name) =>
        Drivers.FirstOrDefault(d => d.Name == name)
        ?? throw new HypervisorException($"hypervisor '{name}' is not supported by this build ({string.Join(", ", Names)})");

    public static IHypervisor Create(HypervisorConfig config) => Driver(config.Hypervisor).Create(config);

    /// <summary>Stops the VM recorded in <paramref name="stateDirectory"/> through its own driver.</summary>
    public static Task StopDetachedAsync(ProcessIdentity? hypervisor, IEnumerable<ProcessIdentity?> helpers, string stateDirectory, TimeSpan grace)
    {
        var record = VmmRecord.Load(stateDirectory);
        return Driver(record.Driver).StopDetachedAsync(record, hypervisor, helpers, stateDirectory, grace);
    }
}
