using System.Text.Json.Serialization;

namespace SandboxRt.Agent.Init;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(InitMessage))]
internal sealed partial class InitJsonContext : JsonSerializerContext;
