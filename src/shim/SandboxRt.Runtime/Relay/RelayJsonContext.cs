using System.Text.Json.Serialization;

namespace SandboxRt.Runtime.Relay;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RelayReport))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(VmCache.CliVmCacheClaim))]
internal sealed partial class RelayJsonContext : JsonSerializerContext;
