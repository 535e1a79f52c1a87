using System.Text.Json.Nodes;
using SandboxRt.Oci.Validation;

namespace SandboxRt.Runtime.Lifecycle;

/// <summary>runc features: what this runtime implements (runtime-spec features.md).</summary>
public static class FeaturesDocument
{
    public static JsonObject Create() => new()
    {
        ["ociVersionMin"] = "1.0.0",
        ["ociVersionMax"] = "1.2.0",
        ["hooks"] = Array("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"),
        ["mountOptions"] = Array("ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "sync", "async", "dirsync", "remount", "mand", "nomand",
            "atime", "noatime", "diratime", "nodiratime", "relatime", "norelatime", "strictatime", "nostrictatime", "lazytime", "nolazytime",
            "symfollow", "nosymfollow", "bind", "rbind", "private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable", "tmpcopyup"),
        ["linux"] = new JsonObject
        {
            ["namespaces"] = Array("cgroup", "ipc", "mount", "network", "pid", "uts"),
            ["capabilities"] = Array([.. CapabilityNames.All]),
            ["cgroup"] = new JsonObject { ["v1"] = false, ["v2"] = true, ["systemd"] = false, ["systemdUser"] = false },
            ["seccomp"] = new JsonObject
            {
                ["enabled"] = true,
                ["actions"] = Array("SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"),
                ["operators"] = Array("SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"),
                ["archs"] = Array("SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32"),
                ["supportedFlags"] = Array("SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"),
            },
            ["apparmor"] = new JsonObject { ["enabled"] = false },
            ["selinux"] = new JsonObject { ["enabled"] = false },
            ["intelRdt"] = new JsonObject { ["enabled"] = false },
        },
        ["annotations"] = new JsonObject
        {
            ["io.github.sandboxrt.isolation"] = "vm",
            ["io.github.sandboxrt.hypervisor"] = "qemu",
        },
    };

    private static JsonArray Array(params string[] values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
}
