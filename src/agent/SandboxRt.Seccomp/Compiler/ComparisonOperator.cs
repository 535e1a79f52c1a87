namespace SandboxRt.Seccomp.Compiler;

/// <summary>The SCMP_CMP_* operators of an OCI seccomp argument condition; all compare unsigned 64-bit values.</summary>
internal enum ComparisonOperator
{
    NotEqual,
    LessThan,
    LessOrEqual,
    Equal,
    GreaterOrEqual,
    GreaterThan,

    /// <summary>(arg &amp; Value) == ValueTwo.</summary>
    MaskedEqual,
}
