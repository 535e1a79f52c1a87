using System.Diagnostics;
using SandboxRt.Interop;

namespace SandboxRt.Agent.Boot;

/// <summary>
/// Loads the kernel modules the guest image carries, in the order the image builder resolved from
/// their dependencies (listed one path per line, relative to /lib/modules, in modules.load).
/// A module that fails is logged and skipped: a missing vsock driver must not cost the serial channel.
/// </summary>
internal static class ModuleLoader
{
    public const string ModulesDir = "/lib/modules";
    public const string LoadList = "/lib/modules/modules.load";

    public static void LoadAll(List<string> loaded)
    {
        if (!File.Exists(LoadList))
        {
            AgentLog.Warn($"no {LoadList}: loading no kernel modules");
            return;
        }
        var watch = Stopwatch.StartNew();
        foreach (var raw in File.ReadAllLines(LoadList))
        {
            var relative = raw.Trim();
            if (relative.Length == 0 || relative.StartsWith('#'))
                continue;
            var name = Path.GetFileNameWithoutExtension(relative);
            try
            {
                long before = Stopwatch.GetTimestamp();
                KernelModules.Load(Path.Combine(ModulesDir, relative));
                loaded.Add(name);
                AgentLog.Trace($"module {name} loaded in {Stopwatch.GetElapsedTime(before).TotalMilliseconds:F1} ms");
            }
            catch (SyscallException e)
            {
                AgentLog.Warn($"module {name}: {e.Message}");
            }
        }
        AgentLog.Info($"loaded {loaded.Count} kernel modules in {watch.ElapsedMilliseconds} ms");
    }
}
