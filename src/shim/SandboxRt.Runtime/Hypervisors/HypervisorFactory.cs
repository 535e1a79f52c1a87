using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Hypervisors;

/// <summary>The registered hypervisor drivers, chosen by name (the config's <c>hypervisor</c>, or a VM's <see cref="VmmRecord"/>).</summary>
public static class HypervisorFactory
{
    private static readonly IHypervisorDriver[] Drivers = [new Qemu.QemuDriver(), new CloudHypervisor.ClhDriver()];

    /// <summary>Other names the config's <c>hypervisor</c> accepts for a driver.</summary>
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal) { ["cloud-hypervisor"] = "clh" };

    public static IEnumerable<string> Names => Drivers.Select(d => d.Name);

    /// <summary>The driver name a configured name stands for ("cloud-hypervisor" is "clh").</summary>
    public static string CanonicalName(string name) => Aliases.GetValueOrDefault(name, name);

    public static IHypervisorDriver Driver(string name) =>
        Drivers.FirstOrDefault(d => d.Name == CanonicalName(name))
        ?? throw new HypervisorException($"hypervisor '{name}' is not supported by this build ({string.Join(", ", Names)})");

    public static IHypervisor Create(HypervisorConfig config) => Driver(config.Hypervisor).Create(config);

    /// <summary>Stops the VM recorded in <paramref name="stateDirectory"/> through its own driver.</summary>
    public static Task StopDetachedAsync(ProcessIdentity? hypervisor, IEnumerable<ProcessIdentity?> helpers, string stateDirectory, TimeSpan grace)
    {
        var record = VmmRecord.Load(stateDirectory);
        return Driver(record.Driver).StopDetachedAsync(record, hypervisor, helpers, stateDirectory, grace);
    }
}
