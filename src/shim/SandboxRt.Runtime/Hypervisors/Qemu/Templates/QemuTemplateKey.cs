using System.Security.Cryptography;
using System.Text;
using SandboxRt.Runtime.Configuration;

namespace SandboxRt.Runtime.Hypervisors.Qemu.Templates;

/// <summary>
/// What a template must match to be restored: QEMU's command line for the template layout with every
/// descriptor number and per-sandbox path taken out (machine, CPU model, sizes and hot-plug room, kernel
/// parameters, devices, extra arguments), and the identity of the QEMU binary, the kernel and the initrd
/// or root image, whichever the guest boots (path, and the size and modification time of what it names): a rebuilt guest image or an upgraded QEMU makes a new key, and the
/// old template is simply never used again (`sandboxrt template remove` deletes it).
/// The jailer that starts the template's QEMU is an input too (its identity, or "none" unjailed): a
/// build that fails records the key as failed for the back-off, and a broken jailer_path (a test's, or a
/// mistyped configuration) must not make every sandbox with a working one boot cold for that time, as it
/// did (JailFailureTests, 2026-12-07).
/// </summary>
internal static class QemuTemplateKey
{
    /// <summary>Bumped when the template layout or what a clone expects of one changes.</summary>
    private const string Format = "sandboxrt-template-2"; // 2: no boot_id made before the save (QemuTemplateBuilder.WarmUpSessionAsync)

    /// <summary>Whether the file identities at the head of a template's recorded inputs (see <see cref="Of"/>) no longer hold.</summary>
    public static bool InputsChanged(string inputs)
    {
        var lines = inputs.Split('\n');
        if (lines.Length < 4 || lines[0] != Format)
            return true; // another format: no request makes this key again
        foreach (var line in lines.Skip(1).Take(3))
        {
            int last = line.LastIndexOf(' ');
            int path = last > 0 ? line.LastIndexOf(' ', last - 1) : -1; // PATH may hold spaces; SIZE and TICKS do not
            if (path <= 0 || Identity(line[..path]) != line)
                return true;
        }
        return false;
    }

    /// <summary>"PATH SIZE MTIME-TICKS" of a file as it is now: PATH as configured (in its full form), the rest <see cref="FileStamp"/>.</summary>
    private static string Identity(string file) => $"{Path.GetFullPath(file)} {FileStamp.Of(file)}";

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
        foreach (var file in new[] { plan.Config.Qemu.Path, plan.Config.Kernel, plan.RootImage?.Path ?? plan.Initrd })
            text.Append(Identity(file)).Append('\n');
        text.AppendJoin('\n', QemuCommandLine.Build(canonical));
        // after the command line: InputsChanged checks the three identities above only (a jailer's path need not exist unjailed)
        text.Append("\njailer ").Append(plan.Config.Jail ? Identity(plan.Config.JailerBinary()) : "none");
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
        return (key, text.ToString());
    }
}
