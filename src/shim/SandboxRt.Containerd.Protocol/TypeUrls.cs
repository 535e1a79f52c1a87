using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace SandboxRt.Containerd.Protocol;

/// <summary>
/// containerd's type URLs. Go's typeurl names protobuf messages by their full name with no
/// "type.googleapis.com/" prefix (what Any.Pack would add, and what containerd would not recognise),
/// and OCI spec types by a URL of their own whose value is JSON.
/// </summary>
public static class TypeUrls
{
    public const string OciProcess = "types.containerd.io/opencontainers/runtime-spec/1/Process";
    public const string OciLinuxResources = "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources";

    /// <summary>Packs a message the way containerd's typeurl.MarshalAny does.</summary>
    public static Any Pack(IMessage message) => new() { TypeUrl = message.Descriptor.FullName, Value = message.ToByteString() };

    /// <summary>True when <paramref name="any"/> holds a message of this type (with or without the googleapis prefix).</summary>
    public static bool Holds(Any any, Google.Protobuf.Reflection.MessageDescriptor descriptor) =>
        any.TypeUrl == descriptor.FullName || any.TypeUrl.EndsWith("/" + descriptor.FullName, StringComparison.Ordinal);
}
