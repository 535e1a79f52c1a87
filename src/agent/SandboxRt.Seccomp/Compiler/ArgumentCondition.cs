namespace SandboxRt.Seccomp.Compiler;

/// <summary>
/// One validated argument test: args[Index] compared with Value as unsigned 64-bit numbers, or for
/// MaskedEqual, (args[Index] &amp; Value) == ValueTwo.
/// </summary>
internal readonly record struct ArgumentCondition(int Index, ComparisonOperator Operator, ulong Value, ulong ValueTwo);
