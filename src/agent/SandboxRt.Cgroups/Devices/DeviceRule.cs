using SandboxRt.Oci.Spec;

namespace SandboxRt.Cgroups.Devices;

/// <summary>A validated OCI device rule in the kernel's terms (bpf_cgroup_dev_ctx values); null fields match anything.</summary>
internal sealed record DeviceRule(bool Allow, int? Type, int? Major, int? Minor, int Access)
{
    public const int AllAccess = DeviceFilterProgram.AccessMknod | DeviceFilterProgram.AccessRead | DeviceFilterProgram.AccessWrite;

    /// <summary>Validates <c>linux.resources.devices[index]</c>; errors name the field.</summary>
    public static DeviceRule Parse(LinuxDeviceCgroup rule, int index)
    {
        var field = $"linux.resources.devices[{index}]";
        int? type = rule.Type switch
        {
            null or "" or "a" => null,
            "c" => DeviceFilterProgram.TypeChar,
            "b" => DeviceFilterProgram.TypeBlock,
            _ => throw new Resources.CgroupResourceException(field + ".type", $"\"{rule.Type}\" is not a (all), b (block) or c (char)"),
        };
        int access = 0;
        foreach (var c in rule.Access ?? "")
        {
            access |= c switch
            {
                'r' => DeviceFilterProgram.AccessRead,
                'w' => DeviceFilterProgram.AccessWrite,
                'm' => DeviceFilterProgram.AccessMknod,
                _ => throw new Resources.CgroupResourceException(field + ".access", $"'{c}' in \"{rule.Access}\" is not r, w or m"),
            };
        }
        // An absent access means every access, as an absent major or minor means every number.
        return new DeviceRule(rule.Allow, type, Number(rule.Major, field + ".major"), Number(rule.Minor, field + ".minor"),
            access == 0 ? AllAccess : access);
    }

    // -1 is how runc and the JSON of some clients spell "any". Numbers past int.MaxValue could not be
    // compared against the sign-extended 32-bit immediate, and no kernel device has one (12/20 bits).
    private static int? Number(long? value, string field) => value switch
    {
        null or -1 => null,
        < 0 or > int.MaxValue => throw new Resources.CgroupResourceException(field, $"{value} is not a device number"),
        _ => (int)value.Value,
    };
}
