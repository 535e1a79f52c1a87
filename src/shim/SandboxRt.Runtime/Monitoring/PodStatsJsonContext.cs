using System.Text.Json.Serialization;

namespace SandboxRt.Runtime.Monitoring;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PodStatsReport))]
internal sealed partial class PodStatsJsonContext : JsonSerializerContext;
