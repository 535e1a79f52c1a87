using System.Text.Json.Serialization;

namespace SandboxRt.Runtime.State;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ContainerRecord))]
[JsonSerializable(typeof(Network.NetworkRecord))]
internal sealed partial class StateJsonContext : JsonSerializerContext;
