using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using SandboxRt.Containerd.Protocol;
using Options = SandboxRt.Containerd.Protocol.RuntimeOptions.Options;

namespace SandboxRt.Shim.Cli;

/// <summary>The runtime options containerd writes to a shim's stdin: a protobuf Any, or nothing.</summary>
internal static class RuntimeOptions
{
    private const int MaxOptionsBytes = 64 * 1024;

    /// <summary>The Any on stdin (bounded), or null when there is none.</summary>
    public static Any? Read(Stream stdin)
    {
        var data = new MemoryStream();
        var buffer = new byte[8192];
        int n;
        while ((n = stdin.Read(buffer)) > 0)
        {
            data.Write(buffer, 0, n);
            if (data.Length > MaxOptionsBytes)
                throw new ArgumentException($"runtime options on stdin: more than {MaxOptionsBytes} bytes");
        }
        if (data.Length == 0)
            return null;
        try
        {
            return Any.Parser.ParseFrom(data.ToArray());
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ArgumentException($"runtime options on stdin: not a protobuf Any: {e.Message}");
        }
    }

    /// <summary>The config_path of runtimeoptions.v1.Options, when containerd sent runtime options.</summary>
    public static string ReadConfigPath(Stream stdin)
    {
        if (Read(stdin) is not { } any)
            return "";
        if (!TypeUrls.Holds(any, Options.Descriptor))
            throw new ArgumentException($"runtime options of type '{any.TypeUrl}': this shim takes runtimeoptions.v1.Options (options {{ ConfigPath = \"...\" }})");
        return Options.Parser.ParseFrom(any.Value).ConfigPath;
    }
}
