using System.Text.Json.Serialization;

namespace SandboxRt.Runtime.Hypervisors;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(VmmRecord))]
internal sealed partial class VmmJsonContext : JsonSerializerContext;
