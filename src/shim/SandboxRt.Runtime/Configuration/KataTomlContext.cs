using Tomlyn.Model;
using Tomlyn.Serialization;

namespace SandboxRt.Runtime.Configuration;

/// <summary>Source-generated TOML metadata for the untyped model (NativeAOT: no reflection-based serialization).</summary>
[TomlSerializable(typeof(TomlTable))]
internal partial class KataTomlContext : TomlSerializerContext
{
}
