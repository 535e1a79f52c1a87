namespace SandboxRt.Seccomp;

/// <summary>The SECCOMP_FILTER_FLAG_* bits (linux/seccomp.h) an OCI profile may name in linux.seccomp.flags.</summary>
[Flags]
public enum SeccompFilterFlags : uint
{
    None = 0,

    /// <summary>SECCOMP_FILTER_FLAG_TSYNC: install on every thread of the process.</summary>
    Tsync = 1,

    /// <summary>SECCOMP_FILTER_FLAG_LOG: log every action except ALLOW.</summary>
    Log = 2,

    /// <summary>SECCOMP_FILTER_FLAG_SPEC_ALLOW: do not force speculative store bypass mitigation.</summary>
    SpecAllow = 4,
}
