namespace SandboxRt.Oci.Validation;

/// <summary>A config.json that cannot be run. Each problem names its field, e.g. "mounts[3].destination: ...".</summary>
public sealed class SpecValidationException(IReadOnlyList<string> problems)
    : ArgumentException("invalid config.json: " + string.Join("; ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
