using System.Security.Cryptography;
using System.Text;

namespace SandboxRt.Runtime.Hypervisors.Qemu.Templates;

/// <summary>
/// What a template must match to be restored: QEMU's command line for the template layout with every
/// descriptor number and per-sandbox path taken out (machine, CPU model, sizes and hot-plug room, kernel
/// parameters, devices, extra arguments), and the identity of the QEMU binary, the kernel and the initrd
/// (path, size, modification time): a rebuilt guest image or an upgraded QEMU makes a new key, and the
/// old template is simply never used again (`sandboxrt template remove` deletes it).
/// </summary>
internal static class QemuTemplateKey
{
    /// <summary>Bumped when the template layout or what a clone expects of one changes.</summary>
    private const string Format = "sandboxrt-template-1";

    public static (string Key, string Description) Of(QemuLaunchPlan plan)
    {
        var canonical = plan with
        {
            Id = "template",
            ConsoleFd = 0,
            QmpListenFd = 0,
            Channel = GuestChannelPlan.Serial(0),
            SharedFs = null,
            Nics = [],
            VirtiofsdFd = -1,
            AgentTokenFile = "agent-token",
            TemplateRamFile = "ram",
            IncomingFd = null,
        };
        var text = new StringBuilder(Format).Append('\n');
        foreach (var file in new[] { plan.Config.Qemu.Path, plan.Config.Kernel, plan.Initrd })
        {
            var info = new FileInfo(file);
            text.Append(info.FullName).Append(' ').Append(info.Length).Append(' ').Append(info.LastWriteTimeUtc.Ticks).Append('\n');
        }
        text.AppendJoin('\n', QemuCommandLine.Build(canonical));
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
        return (key, text.ToString());
    }
}
