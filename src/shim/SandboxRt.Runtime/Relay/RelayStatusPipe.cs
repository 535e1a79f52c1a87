using System.Text.Json;
using SandboxRt.Interop;

namespace SandboxRt.Runtime.Relay;

/// <summary>The one-shot status channel between the CLI and the relay it starts (fd 3 in the relay).</summary>
public static class RelayStatusPipe
{
    public const int RelayFd = 3;

    public static void Report(SafeFdHandle pipe, RelayReport report)
    {
        try
        {
            FileDescriptors.Write(pipe, JsonSerializer.SerializeToUtf8Bytes(report, RelayJsonContext.Default.RelayReport), "relay status");
        }
        catch (SyscallException)
        {
            // the CLI that waited for this is gone
        }
        pipe.Dispose();
    }

    /// <summary>Reads the report; end of stream without one means the relay died before it could say anything.</summary>
    public static RelayReport Read(SafeFdHandle pipe)
    {
        var data = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = FileDescriptors.Read(pipe, buffer, "relay status")) > 0 && data.Length < 1024 * 1024)
            data.Write(buffer, 0, n);
        if (data.Length == 0)
            return new RelayReport { Ok = false, Error = "the relay process exited before reporting (see the log)" };
        return JsonSerializer.Deserialize(data.ToArray(), RelayJsonContext.Default.RelayReport)
            ?? new RelayReport { Ok = false, Error = "the relay sent an empty report" };
    }
}
