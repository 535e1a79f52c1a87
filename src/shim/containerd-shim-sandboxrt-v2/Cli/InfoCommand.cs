using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using SandboxRt.Containerd.Protocol.Types;
using SandboxRt.Runtime.Diagnostics;
using SandboxRt.Runtime.Lifecycle;

namespace SandboxRt.Shim.Cli;

/// <summary>
/// `-info`: the shim's RuntimeInfo as binary protobuf on stdout: its name and version, the runtime
/// options it was given on stdin (echoed), and the OCI features document it supports (as JSON, under
/// the type URL containerd uses for it).
/// </summary>
internal static class InfoCommand
{
    public const string RuntimeName = "io.containerd.sandboxrt.v2";
    private const string FeaturesTypeUrl = "types.containerd.io/opencontainers/runtime-spec/1/features/Features";

    public static int Run(Stream stdin, Stream stdout)
    {
        var info = new RuntimeInfo
        {
            Name = RuntimeName,
            Version = new RuntimeVersion { Version = BuildVersion.Version, Revision = BuildVersion.Commit },
            Features = new Any { TypeUrl = FeaturesTypeUrl, Value = ByteString.CopyFromUtf8(FeaturesDocument.Create().ToJsonString()) },
        };
        if (RuntimeOptions.Read(stdin) is { } options)
            info.Options = options;
        info.WriteTo(stdout);
        return 0;
    }
}
