namespace SandboxRt.Cgroups.Resources;

/// <summary>An OCI linux.resources value that cannot be applied; the message starts with the field's path.</summary>
public sealed class CgroupResourceException : Exception
{
    public CgroupResourceException(string field, string problem, Exception? inner = null)
        : base($"{field}: {problem}", inner) => Field = field;

    /// <summary>The OCI field, e.g. <c>linux.resources.memory.swap</c> or <c>linux.resources.devices[2].access</c>.</summary>
    public string Field { get; }
}
