using SandboxRt.Oci.Validation;

namespace SandboxRt.Agent.Init;

/// <summary>OCI capability names as the bit masks capset(2) takes.</summary>
internal readonly record struct CapabilitySets(ulong Bounding, ulong Effective, ulong Permitted, ulong Inheritable, ulong Ambient)
{
    public static CapabilitySets From(Oci.Spec.Capabilities? caps) => new(
        Mask(caps?.Bounding, "bounding"), Mask(caps?.Effective, "effective"), Mask(caps?.Permitted, "permitted"),
        Mask(caps?.Inheritable, "inheritable"), Mask(caps?.Ambient, "ambient"));

    public static bool Has(ulong mask, int capability) => (mask & (1UL << capability)) != 0;

    private static ulong Mask(List<string>? names, string set)
    {
        ulong mask = 0;
        for (int i = 0; i < (names?.Count ?? 0); i++)
        {
            if (!CapabilityNames.TryGetNumber(names![i], out int number))
                throw new InitStepException($"process.capabilities.{set}[{i}]", $"unknown capability '{names[i]}'");
            mask |= 1UL << number;
        }
        return mask;
    }
}
