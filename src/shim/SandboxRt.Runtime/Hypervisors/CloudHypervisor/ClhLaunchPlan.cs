namespace SandboxRt.Runtime.Hypervisors.CloudHypervisor;

/// <summary>What vm.create describes for one VM.</summary>
internal sealed record ClhLaunchPlan(
    string Kernel,
    string Initrd,
    string Cmdline,
    int Vcpus,
    int MemoryMib,
    bool SharedMemory,
    string ConsoleLog,
    long GuestCid,
    string VsockSocket);
