using System.Text.Json.Serialization;

namespace SandboxRt.Runtime.Lifecycle;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RuncState))]
[JsonSerializable(typeof(List<RuncState>))]
[JsonSerializable(typeof(List<int>))]
internal sealed partial class LifecycleJsonContext : JsonSerializerContext;
