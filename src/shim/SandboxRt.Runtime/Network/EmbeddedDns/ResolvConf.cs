using SandboxRt.Interop;
using SandboxRt.Oci.Spec;

namespace SandboxRt.Runtime.Network.EmbeddedDns;

/// <summary>
/// Whether a container uses Docker's embedded DNS server: the resolv.conf Docker bind-mounts into it (a
/// mount of /etc/resolv.conf in the spec) names 127.0.0.11 as a name server. Docker writes that line
/// during its prestart hook (libnetwork-setkey starts the server), so this is read after the hooks.
/// </summary>
public static class ResolvConf
{
    public const string EmbeddedServer = "127.0.0.11";

    /// <summary>More than any resolv.conf Docker writes; a larger file is not Docker's.</summary>
    private const int MaxBytes = 64 * 1024;

    /// <summary>The host file mounted at /etc/resolv.conf, or null when the spec mounts none.</summary>
    public static string? MountedFile(Spec spec) =>
        spec.Mounts?.LastOrDefault(m => m.Destination.TrimEnd('/') == "/etc/resolv.conf" && !string.IsNullOrEmpty(m.Source))?.Source;

    /// <summary>True when the spec's resolv.conf names the embedded server; false without one, or when it cannot be read.</summary>
    public static bool NamesEmbeddedServer(Spec spec)
    {
        var path = MountedFile(spec);
        if (path is null)
            return false;
        try
        {
            // the bundle is hostile: a regular file only (a FIFO would hang the relay), bounded
            return NamesEmbeddedServer(System.Text.Encoding.UTF8.GetString(BoundedFile.ReadRegular(path, MaxBytes)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>True when a <c>nameserver 127.0.0.11</c> line is in the text.</summary>
    public static bool NamesEmbeddedServer(string text) =>
        text.Split('\n').Select(l => l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            .Any(words => words.Length >= 2 && words[0] == "nameserver" && words[1] == EmbeddedServer);
}
