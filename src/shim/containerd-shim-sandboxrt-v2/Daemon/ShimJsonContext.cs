using System.Text.Json.Serialization;
using SandboxRt.Shim.Pods;

namespace SandboxRt.Shim.Daemon;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(PodRecord))]
[JsonSerializable(typeof(Cache.VmCacheRecord))]
[JsonSerializable(typeof(Cache.VmCacheClaim))]
internal sealed partial class ShimJsonContext : JsonSerializerContext;
