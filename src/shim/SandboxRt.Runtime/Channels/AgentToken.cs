using System.Security.Cryptography;
using SandboxRt.Agent.Protocol;
using SandboxRt.Interop;

namespace SandboxRt.Runtime.Channels;

/// <summary>
/// The per-sandbox secret the guest agent checks on every connection (see AuthenticatingConnector and the
/// agent's Transport/AgentAuthentication.cs). 32 random bytes made at sandbox start, kept in memory by the
/// process that holds the sandbox and in <c>&lt;state&gt;/agent-token</c> (0400, root's state directory) for
/// QEMU's <c>-fw_cfg file=</c>, for Cloud Hypervisor's driver (which reads it and sends it in vm.create's
/// SMBIOS OEM strings, <see cref="OemString"/>) and for later CLI calls that reach the channel directly.
/// Never on a command line: /proc/PID/cmdline is readable by every host user.
/// </summary>
public sealed class AgentToken
{
    public const string FileName = "agent-token";
    private readonly byte[] _secret;

    private AgentToken(byte[] secret, string filePath)
    {
        _secret = secret;
        FilePath = filePath;
    }

    /// <summary>The file that holds the secret (given to the hypervisor, which hands it to the guest).</summary>
    public string FilePath { get; }

    public static string PathIn(string stateDirectory) => Path.Combine(stateDirectory, FileName);

    /// <summary>A fresh secret, written to a new 0400 file in <paramref name="stateDirectory"/> (an old one is replaced).</summary>
    public static AgentToken Create(string stateDirectory)
    {
        var path = PathIn(stateDirectory);
        var secret = RandomNumberGenerator.GetBytes(AgentAuthPreamble.TokenLength);
        File.Delete(path);
        // CreateNew is O_CREAT|O_EXCL: it never follows a symlink, and the mode applies from the first byte.
        using (var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            UnixCreateMode = UnixFileMode.UserRead,
        }))
        {
            file.Write(secret);
        }
        return new AgentToken(secret, path);
    }

    /// <summary>The secret of a sandbox started by another process, from its state directory.</summary>
    public static AgentToken Load(string stateDirectory) => LoadFile(PathIn(stateDirectory));

    /// <summary>The secret in a token file (<see cref="FilePath"/> of a token made earlier).</summary>
    public static AgentToken LoadFile(string path)
    {
        var secret = new byte[AgentAuthPreamble.TokenLength];
        using (var fd = FileDescriptors.Open(path, FileDescriptors.ReadOnly | FileDescriptors.NoFollow))
        using (var file = FileDescriptors.ToStream(fd, FileAccess.Read))
        {
            int n = file.ReadAtLeast(secret, secret.Length, throwOnEndOfStream: false);
            if (n != secret.Length || file.ReadByte() != -1)
                throw new InvalidDataException($"{path}: the agent token must be exactly {secret.Length} bytes");
        }
        return new AgentToken(secret, path);
    }

    /// <summary>A copy of the secret, for handing it to a restored guest (ReseedGuest) and nowhere else.</summary>
    public byte[] CopySecret() => (byte[])_secret.Clone();

    /// <summary>The secret as the SMBIOS OEM string the agent looks for (Cloud Hypervisor's platform.oem_strings), and nowhere else.</summary>
    public string OemString() => AgentTokenOemString.Format(_secret);

    /// <summary>What a connection sends first: the preamble carrying this secret.</summary>
    public byte[] Preamble() => AgentAuthPreamble.Build(_secret);
}
