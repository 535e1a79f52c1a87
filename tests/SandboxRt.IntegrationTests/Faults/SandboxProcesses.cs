using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Faults;

/// <summary>The host processes of one sandbox, found by what their command lines and environments name, and the events the matrix waits for.</summary>
internal static class SandboxProcesses
{
    /// <summary>QEMU, by its -name sandboxrt-ID.</summary>
    public static int? Qemu(string id) => ProcessTable.Find($"sandboxrt-{id},").Where(IsQemu).Cast<int?>().FirstOrDefault();

    /// <summary>virtiofsd (the server process: the one serving the shared directory) of the sandbox whose state directory is <paramref name="stateDirectory"/>.</summary>
    public static IReadOnlyList<int> Virtiofsd(string stateDirectory) =>
        ProcessTable.Find(Path.Combine(stateDirectory, "shared")).Where(p => Cmdline(p).Contains("virtiofsd")).ToList();

    /// <summary>The CLI's init relay of container <paramref name="id"/>.</summary>
    public static int? Relay(string id)
    {
        foreach (var pid in ProcessTable.Find("relay --"))
        {
            var environ = Read($"/proc/{pid}/environ");
            if (environ.Contains("SANDBOXRT_RELAY_ARGS=") && environ.Contains($"\"{id}\"") && environ.Contains("\"init\""))
                return pid;
        }
        return null;
    }

    /// <summary>The shim daemon serving pod <paramref name="podId"/> for the containerd at <paramref name="containerdSocket"/>.</summary>
    public static int? Shim(string containerdSocket, string podId) =>
        ProcessTable.Find($"-address {containerdSocket}").Where(p => Cmdline(p).Contains("containerd-shim-sandboxrt-v2") && Cmdline(p).Contains($"-id {podId}"))
            .Cast<int?>().FirstOrDefault();

    /// <summary>Waits until QEMU runs and the guest console shows the kernel started (the agent cannot have answered: it runs later).</summary>
    public static Task WaitForBootAsync(string id, string stateDirectory) =>
        Condition.WaitAsync(() => Qemu(id) is not null && Read(Path.Combine(stateDirectory, "console.log")).Contains("Linux version"),
            $"QEMU of {id} running and its console showing the kernel start", TimeSpan.FromSeconds(120));

    public static void Kill(int pid) => SandboxRt.Interop.ChildProcesses.Signal(pid, 9);

    private static bool IsQemu(int pid) => Cmdline(pid).Contains("qemu-system");

    private static string Cmdline(int pid) => Read($"/proc/{pid}/cmdline").Replace('\0', ' ');

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
