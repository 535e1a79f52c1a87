namespace SandboxRt.Runtime.Configuration;

/// <summary>A configuration that cannot be used; the message names the file and the field.</summary>
public sealed class ConfigException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The field (our JSON name) a validation failure is about, when it is about one.</summary>
    public string? Field { get; init; }

    /// <summary>What is wrong with <see cref="Field"/>, without the file and field in front.</summary>
    public string? Problem { get; init; }
}
