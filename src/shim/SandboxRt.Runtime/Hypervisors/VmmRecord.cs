using System.Text.Json;
using SandboxRt.Runtime.Storage;

namespace SandboxRt.Runtime.Hypervisors;

/// <summary>
/// What a later process needs to reach or stop a VM, driver-neutral: saved as <c>vmm.json</c> in the
/// sandbox's state directory when the VM launches. A state directory without one (an older build)
/// reads as a QEMU VM.
/// </summary>
public sealed record VmmRecord
{
    public const string FileName = "vmm.json";

    public string Driver { get; init; } = "qemu";

    /// <summary>The VMM's control socket (QMP for QEMU, the REST API socket for Cloud Hypervisor).</summary>
    public string? ControlSocket { get; init; }

    /// <summary>"vsock", "hybrid-vsock" or "serial".</summary>
    public string? AgentChannelKind { get; init; }

    public string? AgentSocket { get; init; }

    public uint AgentPort { get; init; }

    public static string PathIn(string stateDirectory) => Path.Combine(stateDirectory, FileName);

    public void Save(string stateDirectory)
    {
        PrivateFiles.WriteAllText(PathIn(stateDirectory), JsonSerializer.Serialize(this, VmmJsonContext.Default.VmmRecord));
    }

    /// <summary>The record in <paramref name="stateDirectory"/>, or a QEMU record when there is none (or it is unreadable).</summary>
    public static VmmRecord Load(string stateDirectory)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(PathIn(stateDirectory)), VmmJsonContext.Default.VmmRecord) ?? new VmmRecord();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or JsonException)
        {
            return new VmmRecord();
        }
    }

    public static void Remove(string stateDirectory)
    {
        try
        {
            File.Delete(PathIn(stateDirectory));
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
