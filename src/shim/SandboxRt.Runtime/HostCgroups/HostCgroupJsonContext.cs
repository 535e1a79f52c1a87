using System.Text.Json.Serialization;

namespace SandboxRt.Runtime.HostCgroups;

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(HostCgroup))]
internal sealed partial class HostCgroupJsonContext : JsonSerializerContext;
